//! The open book: an append-only ledger of money received and spent, and
//! budget against actual.
//!
//! An entry is never edited or deleted: a correction is a reversing entry that
//! stores the negated amount of the entry it reverses (and is itself never
//! reversed, nor is any entry reversed twice). Budget against actual is worked
//! out per budget line, per funder and per objective for one year, and per
//! currency: amounts in different currencies are kept apart, never summed.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::money::{self, MAX_MINOR, WHOLE};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

choices!(
    /// Money received (from a funder) or money spent (normally on a budget line).
    EntryKind {
        Income = "income",
        Expense = "expense",
    }
);

/// The longest reference or attachment an entry takes.
pub const MAX_REFERENCE: usize = 500;

/// An entry as entered (before it is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub entry_date: NaiveDate,
    pub kind: EntryKind,
    /// Minor units; positive as entered (a reversal stores the negation).
    pub amount_minor: i64,
    pub currency: String,
    /// Income: who paid. Expense: whose money paid it.
    pub funder_id: Option<i64>,
    pub payer: String,
    pub payee: String,
    pub budget_line_id: Option<i64>,
    pub commitment_id: Option<i64>,
    pub reference: String,
    /// A URL or a document's name.
    pub attachment: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    #[serde(flatten)]
    pub entry: NewEntry,
    /// The entry this one reverses.
    pub reverses: Option<i64>,
    /// The entry that reverses this one, when there is one.
    pub reversed_by: Option<i64>,
    pub recorded_by: Option<i64>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub batch_id: i64,
}

/// What an entry's checks need to know of its budget line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    pub id: i64,
    pub year: i32,
    pub currency: String,
}

/// What an entry's checks need to know of its commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentFacts {
    pub id: i64,
    pub funder_id: i64,
    pub currency: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

fn positive_amount(p: &mut Parser, input: &FieldMap, currency: &str) -> i64 {
    let get = |k: &str| input.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let not_positive = |p: &mut Parser, field: &str| {
        p.errors.add(
            field,
            "not_positive",
            format!("{field} must be more than zero (a correction is a reversing entry)"),
        );
        0
    };
    if let Some(s) = get("amount_minor") {
        return match s.parse::<i64>() {
            Ok(v) if v < 0 => {
                p.errors.add(
                    "amount_minor",
                    "negative",
                    "amount_minor must not be negative (a correction is a reversing entry)",
                );
                0
            }
            Ok(0) => not_positive(p, "amount_minor"),
            Ok(v) if v > MAX_MINOR => {
                p.errors
                    .add("amount_minor", "too_large", "amount_minor is too large");
                0
            }
            Ok(v) => v,
            Err(_) => {
                p.errors.add(
                    "amount_minor",
                    "invalid_amount",
                    "amount_minor must be a whole number of minor units (agorot, pence, cents)",
                );
                0
            }
        };
    }
    let Some(s) = get("amount") else {
        p.errors.add("amount", "required", "amount is required");
        return 0;
    };
    let cur = if currency.is_empty() { "XXX" } else { currency };
    match money::parse_amount(s, cur) {
        Ok(0) => not_positive(p, "amount"),
        Ok(v) => v,
        Err(e) => {
            let code = match e {
                money::AmountError::Negative => "negative",
                _ => "invalid_amount",
            };
            let mut m = e.message("amount", cur);
            if code == "negative" {
                m.push_str(" (a correction is a reversing entry)");
            }
            p.errors.add("amount", code, m);
            0
        }
    }
}

impl NewEntry {
    /// Read an entry from form fields or a flattened JSON object. The amount
    /// comes as `amount_minor` (integer minor units, the API's) or `amount`
    /// (a decimal in major units, the form's).
    pub fn parse(input: &FieldMap) -> Result<NewEntry, FieldErrors> {
        let mut p = Parser::new(input);
        let entry_date = p.date("entry_date");
        let kind = p.choice("kind", EntryKind::parse);
        let currency = match input.get("currency").map(|s| s.trim()).unwrap_or("") {
            "" => {
                p.errors.add("currency", "required", "currency is required");
                String::new()
            }
            s => money::parse_currency(s).unwrap_or_else(|| {
                p.errors.add(
                    "currency",
                    "invalid_currency",
                    "currency must be a three-letter code such as ILS, GBP or USD",
                );
                String::new()
            }),
        };
        let amount_minor = positive_amount(&mut p, input, &currency);
        let funder_id = p.opt_id("funder_id");
        let payer = p.opt_text("payer", MAX_NAME, false).unwrap_or_default();
        let payee = p.opt_text("payee", MAX_NAME, false).unwrap_or_default();
        let budget_line_id = p.opt_id("budget_line_id");
        let commitment_id = p.opt_id("commitment_id");
        let reference = p
            .opt_text("reference", MAX_REFERENCE, false)
            .unwrap_or_default();
        let attachment = p
            .opt_text("attachment", MAX_REFERENCE, false)
            .unwrap_or_default();
        if kind == Some(EntryKind::Income) && budget_line_id.is_some() {
            p.errors.add(
                "budget_line_id",
                "income_on_line",
                "budget_line_id is for expenses: income is received from a funder, not spent on a line",
            );
        }
        match (entry_date, kind) {
            (Some(entry_date), Some(kind)) => p.errors.finish(NewEntry {
                entry_date,
                kind,
                amount_minor,
                currency,
                funder_id,
                payer,
                payee,
                budget_line_id,
                commitment_id,
                reference,
                attachment,
            }),
            _ => Err(p.errors),
        }
    }

    /// The entry's fields as a form shows them again.
    pub fn to_fields(&self) -> FieldMap {
        let mut m = FieldMap::new();
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        m.insert("entry_date".into(), self.entry_date.to_string());
        m.insert("kind".into(), self.kind.as_str().into());
        m.insert(
            "amount".into(),
            money::format_minor(self.amount_minor, &self.currency),
        );
        m.insert("currency".into(), self.currency.clone());
        m.insert("funder_id".into(), opt(self.funder_id));
        m.insert("payer".into(), self.payer.clone());
        m.insert("payee".into(), self.payee.clone());
        m.insert("budget_line_id".into(), opt(self.budget_line_id));
        m.insert("commitment_id".into(), opt(self.commitment_id));
        m.insert("reference".into(), self.reference.clone());
        m.insert("attachment".into(), self.attachment.clone());
        m
    }
}

/// Check an entry against its budget line and commitment (the caller looked
/// them up; `None` where the entry names none). Every refusal names its field.
pub fn check(
    e: &NewEntry,
    line: Option<&LineFacts>,
    commitment: Option<&CommitmentFacts>,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if e.amount_minor <= 0 {
        errors.add(
            "amount_minor",
            "not_positive",
            "amount_minor must be more than zero (a correction is a reversing entry)",
        );
    }
    if let Some(l) = line {
        if l.currency != e.currency {
            errors.add(
                "currency",
                "currency_mismatch",
                format!(
                    "currency {} does not match the budget line's currency {}: currencies are never converted",
                    e.currency, l.currency
                ),
            );
        }
        if l.year != e.entry_date.year() {
            errors.add(
                "budget_line_id",
                "line_year",
                format!(
                    "the budget line is for {}, but the entry is dated {}",
                    l.year, e.entry_date
                ),
            );
        }
    }
    if let Some(c) = commitment {
        if c.currency != e.currency {
            errors.add(
                "currency",
                "currency_mismatch",
                format!(
                    "currency {} does not match the commitment's currency {}: currencies are never converted",
                    e.currency, c.currency
                ),
            );
        }
        if e.entry_date < c.starts_on || e.entry_date > c.ends_on {
            errors.add(
                "entry_date",
                "outside_commitment",
                format!(
                    "entry_date {} is outside the commitment's period ({} to {})",
                    e.entry_date, c.starts_on, c.ends_on
                ),
            );
        }
        match e.funder_id {
            Some(f) if f != c.funder_id => errors.add(
                "funder_id",
                "funder_mismatch",
                "funder_id is not the commitment's funder",
            ),
            _ => {}
        }
    }
    errors.finish(())
}

/// Why an entry may not be reversed.
pub fn check_reversal(target: &Entry) -> Result<(), FieldErrors> {
    if target.reverses.is_some() {
        return Err(FieldErrors::single(
            "reverses",
            "reversal_of_reversal",
            format!(
                "entry {} is itself a reversal and cannot be reversed",
                target.id
            ),
        ));
    }
    if let Some(by) = target.reversed_by {
        return Err(FieldErrors::single(
            "reverses",
            "already_reversed",
            format!("entry {} was already reversed by entry {by}", target.id),
        ));
    }
    Ok(())
}

/// The reversing entry of `target`, dated `on`: the same entry with the amount
/// negated and a reference that names the reversed entry.
pub fn reversal_of(target: &Entry, on: NaiveDate) -> NewEntry {
    let mut e = target.entry.clone();
    e.entry_date = on;
    e.amount_minor = -target.entry.amount_minor;
    e.reference = format!("reversal of entry {}", target.id);
    e
}

/// The running total of one key of the ledger (what the store keeps up to date
/// in the same transaction as every write).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TotalKey {
    pub year: i32,
    pub kind: EntryKind,
    pub currency: String,
    pub budget_line_id: Option<i64>,
    pub funder_id: Option<i64>,
    pub commitment_id: Option<i64>,
}

impl TotalKey {
    pub fn of(e: &NewEntry) -> TotalKey {
        TotalKey {
            year: e.entry_date.year(),
            kind: e.kind,
            currency: e.currency.clone(),
            budget_line_id: e.budget_line_id,
            funder_id: e.funder_id,
            commitment_id: e.commitment_id,
        }
    }
}

/// Add up entries by [`TotalKey`] (the recount the running totals must equal).
pub fn totals<'a>(entries: impl IntoIterator<Item = &'a NewEntry>) -> BTreeMap<TotalKey, i64> {
    let mut out = BTreeMap::new();
    for e in entries {
        *out.entry(TotalKey::of(e)).or_insert(0) += e.amount_minor;
    }
    out
}

/// A budget line as budget against actual reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: i64,
    pub name: String,
    pub year: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub objective_id: Option<i64>,
    pub cost_item_id: Option<i64>,
}

/// A commitment as budget against actual reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub id: i64,
    pub funder_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The part of a commitment that falls in `year`, by days of its period:
/// the parts of all years sum exactly to the amount (cumulative rounding down).
pub fn committed_in_year(c: &Committed, year: i32) -> i64 {
    let days = (c.ends_on - c.starts_on).num_days() + 1;
    if days <= 0 {
        return 0;
    }
    let upto = |y: i32| -> i64 {
        // Days of the period up to the end of year y.
        let end = NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(c.ends_on);
        let last = end.min(c.ends_on);
        let n = (last - c.starts_on).num_days() + 1;
        let n = n.clamp(0, days);
        (c.amount_minor as i128 * n as i128 / days as i128) as i64
    };
    upto(year) - upto(year - 1)
}

/// One row of budget against actual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The line's, funder's or objective's id; `None`: no funder / no objective.
    pub id: Option<i64>,
    pub name: String,
    pub currency: String,
    pub budget_minor: i64,
    /// Expenses net of reversals.
    pub actual_minor: i64,
    /// Budget less actual (negative: overspent).
    pub difference_minor: i64,
    /// Actual as a share of budget in basis points (10,000 = all of it);
    /// `None` when the budget is zero.
    pub share_spent_bp: Option<i64>,
}

impl Row {
    fn new(id: Option<i64>, name: String, currency: String, budget: i64, actual: i64) -> Row {
        Row {
            id,
            name,
            currency,
            budget_minor: budget,
            actual_minor: actual,
            difference_minor: budget - actual,
            share_spent_bp: share(actual, budget),
        }
    }
}

/// `part / whole` in basis points, rounded half away from zero; `None` for a zero whole.
pub fn share(part: i64, whole: i64) -> Option<i64> {
    if whole == 0 {
        return None;
    }
    let num = part as i128 * WHOLE as i128;
    let w = whole as i128;
    let q = (2 * num + w.signum() * num.signum() * w.abs()) / (2 * w);
    Some(q as i64)
}

/// Received against committed, per commitment or funder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub committed_minor: i64,
    /// Income net of reversals.
    pub received_minor: i64,
    pub outstanding_minor: i64,
}

/// Budget against actual for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetVsActual {
    pub year: i32,
    pub lines: Vec<Row>,
    /// Per funder: the part of its commitments that falls in the year against
    /// the expenses its money paid.
    pub funders: Vec<Row>,
    /// Per objective, through the budget lines' objectives.
    pub objectives: Vec<Row>,
    /// Per currency: all lines and all expenses of the year (expenses on no
    /// line included).
    pub currencies: Vec<Row>,
}

/// One running total as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    pub key: TotalKey,
    pub total_minor: i64,
}

/// Work out budget against actual for `year` from the year's budget lines,
/// the commitments, the running totals of the year and the names of funders
/// and objectives.
pub fn budget_vs_actual(
    year: i32,
    lines: &[Line],
    commitments: &[Committed],
    totals: &[Total],
    funder_names: &BTreeMap<i64, String>,
    objective_names: &BTreeMap<i64, String>,
) -> BudgetVsActual {
    let lines: Vec<&Line> = lines.iter().filter(|l| l.year == year).collect();
    let expenses: Vec<&Total> = totals
        .iter()
        .filter(|t| t.key.year == year && t.key.kind == EntryKind::Expense)
        .collect();
    let mut by_line: BTreeMap<i64, i64> = BTreeMap::new();
    for t in &expenses {
        if let Some(l) = t.key.budget_line_id {
            *by_line.entry(l).or_insert(0) += t.total_minor;
        }
    }
    let line_rows: Vec<Row> = lines
        .iter()
        .map(|l| {
            Row::new(
                Some(l.id),
                l.name.clone(),
                l.currency.clone(),
                l.amount_minor,
                by_line.get(&l.id).copied().unwrap_or(0),
            )
        })
        .collect();
    // Per funder and currency.
    let mut f: BTreeMap<(Option<i64>, String), (i64, i64)> = BTreeMap::new();
    for c in commitments {
        let part = committed_in_year(c, year);
        if part != 0 {
            f.entry((Some(c.funder_id), c.currency.clone()))
                .or_default()
                .0 += part;
        }
    }
    for t in &expenses {
        f.entry((t.key.funder_id, t.key.currency.clone()))
            .or_default()
            .1 += t.total_minor;
    }
    let name_of = |names: &BTreeMap<i64, String>, id: Option<i64>| {
        id.and_then(|i| names.get(&i).cloned()).unwrap_or_default()
    };
    let funders = f
        .into_iter()
        .map(|((id, cur), (b, a))| Row::new(id, name_of(funder_names, id), cur, b, a))
        .collect();
    // Per objective and currency, through the lines.
    let mut o: BTreeMap<(Option<i64>, String), (i64, i64)> = BTreeMap::new();
    for l in &lines {
        let e = o.entry((l.objective_id, l.currency.clone())).or_default();
        e.0 += l.amount_minor;
        e.1 += by_line.get(&l.id).copied().unwrap_or(0);
    }
    let objectives = o
        .into_iter()
        .map(|((id, cur), (b, a))| Row::new(id, name_of(objective_names, id), cur, b, a))
        .collect();
    // Per currency.
    let mut c: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for l in &lines {
        c.entry(l.currency.clone()).or_default().0 += l.amount_minor;
    }
    for t in &expenses {
        c.entry(t.key.currency.clone()).or_default().1 += t.total_minor;
    }
    let currencies = c
        .into_iter()
        .map(|(cur, (b, a))| Row::new(None, String::new(), cur, b, a))
        .collect();
    BudgetVsActual {
        year,
        lines: line_rows,
        funders,
        objectives,
        currencies,
    }
}

/// Received against committed per commitment (income on it, net of
/// reversals, over all years), and per funder and currency (all its
/// commitments against all its income, with or without a commitment named).
pub fn received(
    commitments: &[(Committed, String)],
    totals: &[Total],
    funder_names: &BTreeMap<i64, String>,
) -> (Vec<Received>, Vec<Received>) {
    let income: Vec<&Total> = totals
        .iter()
        .filter(|t| t.key.kind == EntryKind::Income)
        .collect();
    let mut on: BTreeMap<i64, i64> = BTreeMap::new();
    for t in &income {
        if let Some(c) = t.key.commitment_id {
            *on.entry(c).or_insert(0) += t.total_minor;
        }
    }
    let per_commitment = commitments
        .iter()
        .map(|(c, title)| {
            let r = on.get(&c.id).copied().unwrap_or(0);
            Received {
                id: c.id,
                name: title.clone(),
                currency: c.currency.clone(),
                committed_minor: c.amount_minor,
                received_minor: r,
                outstanding_minor: c.amount_minor - r,
            }
        })
        .collect();
    let mut f: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
    for (c, _) in commitments {
        f.entry((c.funder_id, c.currency.clone())).or_default().0 += c.amount_minor;
    }
    for t in &income {
        if let Some(id) = t.key.funder_id {
            f.entry((id, t.key.currency.clone())).or_default().1 += t.total_minor;
        }
    }
    let per_funder = f
        .into_iter()
        .map(|((id, cur), (c, r))| Received {
            id,
            name: funder_names.get(&id).cloned().unwrap_or_default(),
            currency: cur,
            committed_minor: c,
            received_minor: r,
            outstanding_minor: c - r,
        })
        .collect();
    (per_commitment, per_funder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expense(date: &str, amount: i64, line: Option<i64>, funder: Option<i64>) -> NewEntry {
        NewEntry {
            entry_date: d(date),
            kind: EntryKind::Expense,
            amount_minor: amount,
            currency: "ILS".into(),
            funder_id: funder,
            payer: String::new(),
            payee: "Supplier".into(),
            budget_line_id: line,
            commitment_id: None,
            reference: String::new(),
            attachment: String::new(),
        }
    }

    fn stored(id: i64, e: NewEntry, reverses: Option<i64>, reversed_by: Option<i64>) -> Entry {
        Entry {
            id,
            entry: e,
            reverses,
            reversed_by,
            recorded_by: None,
            recorded_at: chrono::Utc::now(),
            batch_id: 1,
        }
    }

    #[test]
    fn parse_refuses_zero_and_negative_amounts_naming_the_field() {
        let base = [
            ("entry_date", "2024-03-01"),
            ("kind", "expense"),
            ("currency", "ILS"),
        ];
        for (field, value, code) in [
            ("amount", "-5", "negative"),
            ("amount", "0", "not_positive"),
            ("amount", "1.234", "invalid_amount"),
            ("amount_minor", "-500", "negative"),
            ("amount_minor", "0", "not_positive"),
            ("amount_minor", "1.5", "invalid_amount"),
        ] {
            let mut f = fields(&base);
            f.insert(field.into(), value.into());
            let e = NewEntry::parse(&f).unwrap_err();
            assert_eq!(e.get(field).map(|e| e.code), Some(code), "{field}={value}");
        }
        let mut f = fields(&base);
        f.insert("amount".into(), "1,200.50".into());
        let e = NewEntry::parse(&f).unwrap();
        assert_eq!(e.amount_minor, 120_050);
        assert_eq!(NewEntry::parse(&e.to_fields()).unwrap(), e);
        let e = NewEntry::parse(&fields(&[("kind", "gift")])).unwrap_err();
        for f in ["entry_date", "kind", "currency", "amount"] {
            assert!(e.get(f).is_some(), "{f} not refused");
        }
    }

    #[test]
    fn income_takes_no_budget_line() {
        let f = fields(&[
            ("entry_date", "2024-03-01"),
            ("kind", "income"),
            ("currency", "ILS"),
            ("amount_minor", "100"),
            ("budget_line_id", "4"),
        ]);
        let e = NewEntry::parse(&f).unwrap_err();
        assert_eq!(e.get("budget_line_id").unwrap().code, "income_on_line");
    }

    #[test]
    fn check_refuses_currency_period_and_funder_mismatches() {
        let line = LineFacts {
            id: 1,
            year: 2024,
            currency: "GBP".into(),
        };
        let e = expense("2024-05-01", 100, Some(1), Some(7));
        let err = check(&e, Some(&line), None).unwrap_err();
        assert_eq!(err.get("currency").unwrap().code, "currency_mismatch");
        let line = LineFacts {
            currency: "ILS".into(),
            ..line
        };
        assert!(check(&e, Some(&line), None).is_ok());
        let e2 = expense("2025-01-01", 100, Some(1), Some(7));
        assert_eq!(
            check(&e2, Some(&line), None)
                .unwrap_err()
                .get("budget_line_id")
                .unwrap()
                .code,
            "line_year"
        );
        let c = CommitmentFacts {
            id: 3,
            funder_id: 8,
            currency: "ILS".into(),
            starts_on: d("2023-01-01"),
            ends_on: d("2024-04-30"),
        };
        let err = check(&e, None, Some(&c)).unwrap_err();
        assert_eq!(err.get("entry_date").unwrap().code, "outside_commitment");
        assert_eq!(err.get("funder_id").unwrap().code, "funder_mismatch");
        let ok = expense("2024-04-30", 100, None, Some(8));
        assert!(check(&ok, None, Some(&c)).is_ok());
        let first_day = expense("2023-01-01", 100, None, None);
        assert!(check(&first_day, None, Some(&c)).is_ok());
        let day_before = expense("2022-12-31", 100, None, None);
        assert!(check(&day_before, None, Some(&c)).is_err());
        let usd = NewEntry {
            currency: "USD".into(),
            ..ok
        };
        assert_eq!(
            check(&usd, None, Some(&c))
                .unwrap_err()
                .get("currency")
                .unwrap()
                .code,
            "currency_mismatch"
        );
    }

    #[test]
    fn reversing_entries() {
        let original = stored(
            10,
            expense("2024-02-03", 4_500, Some(1), Some(2)),
            None,
            None,
        );
        assert!(check_reversal(&original).is_ok());
        let r = reversal_of(&original, d("2024-02-10"));
        assert_eq!(r.amount_minor, -4_500);
        assert_eq!(r.budget_line_id, Some(1));
        assert_eq!(r.funder_id, Some(2));
        assert_eq!(r.currency, "ILS");
        // The two net out in the totals.
        let t = totals([&original.entry, &r]);
        assert_eq!(t.values().copied().collect::<Vec<_>>(), vec![0]);
        // Reversed once: never again.
        let reversed = stored(10, original.entry.clone(), None, Some(11));
        assert_eq!(
            check_reversal(&reversed)
                .unwrap_err()
                .get("reverses")
                .unwrap()
                .code,
            "already_reversed"
        );
        // A reversal is never reversed.
        let reversal = stored(11, r, Some(10), None);
        assert_eq!(
            check_reversal(&reversal)
                .unwrap_err()
                .get("reverses")
                .unwrap()
                .code,
            "reversal_of_reversal"
        );
    }

    #[test]
    fn commitment_parts_by_year_sum_to_the_whole() {
        let c = Committed {
            id: 1,
            funder_id: 1,
            amount_minor: 100_001,
            currency: "ILS".into(),
            starts_on: d("2023-07-01"),
            ends_on: d("2025-06-30"),
        };
        let parts: Vec<i64> = (2022..=2026).map(|y| committed_in_year(&c, y)).collect();
        assert_eq!(parts.iter().sum::<i64>(), 100_001);
        assert_eq!(parts[0], 0);
        assert_eq!(parts[4], 0);
        // 184 days of the 731-day period fall in 2023, 366 in 2024 (a leap year).
        assert_eq!(parts[1], 100_001 * 184 / 731);
        assert_eq!(parts[2], 100_001 * 550 / 731 - 100_001 * 184 / 731);
        let whole_year = Committed {
            starts_on: d("2024-01-01"),
            ends_on: d("2024-12-31"),
            amount_minor: 500,
            ..c
        };
        assert_eq!(committed_in_year(&whole_year, 2024), 500);
    }

    #[test]
    fn share_rounds_half_away_from_zero() {
        assert_eq!(share(1, 3), Some(3333));
        assert_eq!(share(2, 3), Some(6667));
        assert_eq!(share(5, 0), None);
        assert_eq!(share(-1, 3), Some(-3333));
        assert_eq!(share(150, 100), Some(15_000));
    }

    #[test]
    fn budget_vs_actual_by_line_funder_objective_and_currency() {
        let line = |id, amount, currency: &str, objective| Line {
            id,
            name: format!("Line {id}"),
            year: 2024,
            amount_minor: amount,
            currency: currency.into(),
            objective_id: objective,
            cost_item_id: None,
        };
        let lines = vec![
            line(1, 100_000, "ILS", Some(50)),
            line(2, 40_000, "ILS", Some(50)),
            line(3, 30_000, "GBP", None),
            Line {
                year: 2023,
                ..line(4, 999, "ILS", None)
            },
        ];
        let total = |kind, currency: &str, line, funder, commitment, amount| Total {
            key: TotalKey {
                year: 2024,
                kind,
                currency: currency.into(),
                budget_line_id: line,
                funder_id: funder,
                commitment_id: commitment,
            },
            total_minor: amount,
        };
        use EntryKind::*;
        let totals = vec![
            total(Expense, "ILS", Some(1), Some(7), None, 60_000),
            total(Expense, "ILS", Some(1), None, None, 15_000),
            total(Expense, "ILS", Some(2), Some(7), None, 50_000),
            total(Expense, "GBP", Some(3), Some(8), None, 7_500),
            total(Expense, "ILS", None, Some(8), None, 1_000),
            total(Income, "ILS", None, Some(7), Some(90), 80_000),
            Total {
                key: TotalKey {
                    year: 2023,
                    ..total(Expense, "ILS", Some(4), None, None, 0).key
                },
                total_minor: 123,
            },
        ];
        let commitments = vec![Committed {
            id: 90,
            funder_id: 7,
            amount_minor: 240_000,
            currency: "ILS".into(),
            starts_on: d("2024-01-01"),
            ends_on: d("2025-12-31"),
        }];
        let funders: BTreeMap<i64, String> =
            [(7, "Foundation".to_string()), (8, "City".to_string())].into();
        let objectives: BTreeMap<i64, String> = [(50, "Ready for school".to_string())].into();
        let b = budget_vs_actual(2024, &lines, &commitments, &totals, &funders, &objectives);
        assert_eq!(b.lines.len(), 3);
        let l1 = &b.lines[0];
        assert_eq!(
            (l1.budget_minor, l1.actual_minor, l1.difference_minor),
            (100_000, 75_000, 25_000)
        );
        assert_eq!(l1.share_spent_bp, Some(7_500));
        let l2 = &b.lines[1];
        assert_eq!(
            (l2.difference_minor, l2.share_spent_bp),
            (-10_000, Some(12_500))
        );
        assert_eq!(b.lines[2].currency, "GBP");
        assert_eq!(b.lines[2].share_spent_bp, Some(2_500));
        // Funders: 7 committed 240,000 over 2024–2025 (366 of 731 days in
        // 2024) and paid 110,000 of expenses; 8 paid 7,500 GBP and 1,000 ILS
        // without a commitment; 15,000 ILS were paid by no named funder.
        let f: Vec<_> = b
            .funders
            .iter()
            .map(|r| (r.id, r.currency.as_str(), r.budget_minor, r.actual_minor))
            .collect();
        assert_eq!(
            f,
            vec![
                (None, "ILS", 0, 15_000),
                (Some(7), "ILS", 240_000 * 366 / 731, 110_000),
                (Some(8), "GBP", 0, 7_500),
                (Some(8), "ILS", 0, 1_000),
            ]
        );
        assert_eq!(b.funders[1].name, "Foundation");
        // Objectives: lines 1 and 2 under 50, line 3 under none (GBP).
        let o: Vec<_> = b
            .objectives
            .iter()
            .map(|r| (r.id, r.currency.as_str(), r.budget_minor, r.actual_minor))
            .collect();
        assert_eq!(
            o,
            vec![
                (None, "GBP", 30_000, 7_500),
                (Some(50), "ILS", 140_000, 125_000)
            ]
        );
        // Currencies apart: ILS lines 140,000 against 126,000 (the expense
        // on no line included), GBP 30,000 against 7,500.
        let c: Vec<_> = b
            .currencies
            .iter()
            .map(|r| (r.currency.as_str(), r.budget_minor, r.actual_minor))
            .collect();
        assert_eq!(c, vec![("GBP", 30_000, 7_500), ("ILS", 140_000, 126_000)]);
        // Received against committed.
        let (per_c, per_f) = received(
            &[(commitments[0].clone(), "Grant".into())],
            &totals,
            &funders,
        );
        assert_eq!(per_c[0].received_minor, 80_000);
        assert_eq!(per_c[0].outstanding_minor, 160_000);
        assert_eq!(per_f.len(), 1);
        assert_eq!(per_f[0].name, "Foundation");
        assert_eq!(per_f[0].committed_minor, 240_000);
    }
}
