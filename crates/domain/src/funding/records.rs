//! The funding module's registry records: who funds, what they committed, the
//! budget lines and the cost items. Each is versioned, archived rather than
//! deleted, and audited like every partnership record. Money that moves (the
//! ledger) and the schedules of funder shares are not registry records: see
//! [`super::ledger`] and [`super::transitions`].

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::money::{self, MAX_MINOR};
use crate::resource::{Column, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

/// The longest answer or description a funding form accepts.
pub const MAX_ANSWER: usize = 5000;

choices!(
    /// Where a commitment stands: promised, put in writing, or (part) paid.
    CommitmentStatus {
        Pledged = "pledged",
        Signed = "signed",
        Received = "received",
    }
);

choices!(
    /// What a cost item is: a position, a unit of the backbone, a service.
    CostKind {
        Position = "position",
        Unit = "unit",
        Service = "service",
    }
);

/// Read a currency field (`currency`) and an amount given either as minor
/// units (`{column}`, the API's and the store's form) or as a decimal in major
/// units (`{field}`, the form's), exactly.
pub fn parse_money(p: &mut Parser, input: &FieldMap, field: &str, column: &str) -> (String, i64) {
    let currency = match input.get("currency").map(|s| s.trim()).unwrap_or("") {
        "" => {
            p.errors.add("currency", "required", "currency is required");
            String::new()
        }
        s => match money::parse_currency(s) {
            Some(c) => c,
            None => {
                p.errors.add(
                    "currency",
                    "invalid_currency",
                    "currency must be a three-letter code such as ILS, GBP or USD",
                );
                String::new()
            }
        },
    };
    let minor = match input
        .get(column)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(_) => p.int(column, 0, MAX_MINOR),
        None => match input.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => {
                p.errors
                    .add(field, "required", format!("{field} is required"));
                0
            }
            Some(s) => {
                let cur = if currency.is_empty() {
                    "XXX"
                } else {
                    &currency
                };
                match money::parse_amount(s, cur) {
                    Ok(v) => v,
                    Err(e) => {
                        let code = match e {
                            money::AmountError::Negative => "negative",
                            _ => "invalid_amount",
                        };
                        p.errors.add(field, code, e.message(field, cur));
                        0
                    }
                }
            }
        },
    };
    (currency, minor)
}

/// A funder of the partnership: an organization, with its published answers
/// to the three questions every funder should answer plainly (seed 004).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Funder {
    pub name: String,
    /// The organization behind it; its sector decides whether it is public
    /// (local or national government).
    pub organization_id: i64,
    /// "Will partners keep their own grants?"
    #[serde(default)]
    pub keeps_own_grants: String,
    /// "What do you pay for?"
    #[serde(default)]
    pub pays_for: String,
    /// "How are funding priorities decided?"
    #[serde(default)]
    pub priorities: String,
    /// Whether the answers appear on the portal.
    #[serde(default)]
    pub answers_public: bool,
}

impl Resource for Funder {
    const KIND: &'static str = "funder";
    const TABLE: &'static str = "funders";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name").unique(),
            Column::int("organization_id").refers("organizations"),
            Column::text("keeps_own_grants"),
            Column::text("pays_for"),
            Column::text("priorities"),
            Column::boolean("answers_public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let answer = |p: &mut Parser, f: &str| p.opt_text(f, MAX_ANSWER, true).unwrap_or_default();
        let v = Self {
            name: p.name("name", MAX_NAME),
            organization_id: p.id("organization_id"),
            keeps_own_grants: answer(&mut p, "keeps_own_grants"),
            pays_for: answer(&mut p, "pays_for"),
            priorities: answer(&mut p, "priorities"),
            answers_public: p.flag("answers_public"),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// What a funder commits to the initiative: an amount in one currency over a
/// period, restricted to one objective, activity or cost item, or unrestricted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commitment {
    pub title: String,
    pub funder_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: CommitmentStatus,
    /// The day it was signed (required once signed).
    pub signed_on: Option<NaiveDate>,
    pub objective_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub cost_item_id: Option<i64>,
    #[serde(default)]
    pub reference: String,
}

impl Commitment {
    /// Restricted to something, or free for the partnership to allocate.
    pub fn restricted(&self) -> bool {
        self.objective_id.is_some() || self.activity_id.is_some() || self.cost_item_id.is_some()
    }
    /// Whether the funder has put it in writing (signed, or already paying).
    pub fn is_signed(&self) -> bool {
        matches!(
            self.status,
            CommitmentStatus::Signed | CommitmentStatus::Received
        )
    }
    /// Whether a day falls within the commitment's period.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
    /// Whether any day of `year` falls within the period.
    pub fn covers_year(&self, year: i32) -> bool {
        self.starts_on.year() <= year && year <= self.ends_on.year()
    }
}

impl Resource for Commitment {
    const KIND: &'static str = "commitment";
    const TABLE: &'static str = "commitments";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("title"),
            Column::int("funder_id").refers("funders"),
            Column::int("amount_minor"),
            Column::text("currency"),
            Column::date("starts_on"),
            Column::date("ends_on"),
            Column::text("status"),
            Column::opt_date("signed_on"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::opt_int("activity_id").refers("activities"),
            Column::opt_int("cost_item_id").refers("cost_items"),
            Column::text("reference"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let title = p.name("title", MAX_NAME);
        let funder_id = p.id("funder_id");
        let (currency, amount_minor) = parse_money(&mut p, input, "amount", "amount_minor");
        let starts_on = p.date("starts_on");
        let ends_on = p.date("ends_on");
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            p.errors.add(
                "ends_on",
                "ends_before_start",
                "ends_on must not be before starts_on",
            );
        }
        let status = p.choice("status", CommitmentStatus::parse);
        let signed_on = p.opt_date("signed_on");
        if status.is_some_and(|s| s != CommitmentStatus::Pledged) && signed_on.is_none() {
            p.errors.add(
                "signed_on",
                "required",
                "signed_on is required once a commitment is signed",
            );
        }
        let objective_id = p.opt_id("objective_id");
        let activity_id = p.opt_id("activity_id");
        let cost_item_id = p.opt_id("cost_item_id");
        let restrictions = [objective_id, activity_id, cost_item_id]
            .iter()
            .filter(|r| r.is_some())
            .count();
        if restrictions > 1 {
            p.errors.add(
                "objective_id",
                "one_restriction",
                "a commitment is restricted to one objective, activity or cost item, not several",
            );
        }
        let reference = p.opt_text("reference", MAX_NAME, false).unwrap_or_default();
        match (starts_on, ends_on, status) {
            (Some(starts_on), Some(ends_on), Some(status)) => p.errors.finish(Self {
                title,
                funder_id,
                amount_minor,
                currency,
                starts_on,
                ends_on,
                status,
                signed_on,
                objective_id,
                activity_id,
                cost_item_id,
                reference,
            }),
            _ => Err(p.errors),
        }
    }
    fn to_fields(&self) -> FieldMap {
        let mut m = self.stored_values();
        m.insert(
            "amount".into(),
            money::format_minor(self.amount_minor, &self.currency),
        );
        m.remove("amount_minor");
        m
    }
    fn label(&self) -> String {
        self.title.clone()
    }
}

/// A line of the partnership's budget for one year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BudgetLine {
    pub name: String,
    pub year: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub objective_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub cost_item_id: Option<i64>,
}

impl Resource for BudgetLine {
    const KIND: &'static str = "budget_line";
    const TABLE: &'static str = "budget_lines";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name"),
            Column::int("year"),
            Column::int("amount_minor"),
            Column::text("currency"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::opt_int("activity_id").refers("activities"),
            Column::opt_int("cost_item_id").refers("cost_items"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let year = p.int("year", 1900, 2200) as i32;
        let (currency, amount_minor) = parse_money(&mut p, input, "amount", "amount_minor");
        let v = Self {
            name,
            year,
            amount_minor,
            currency,
            objective_id: p.opt_id("objective_id"),
            activity_id: p.opt_id("activity_id"),
            cost_item_id: p.opt_id("cost_item_id"),
        };
        p.errors.finish(v)
    }
    fn to_fields(&self) -> FieldMap {
        let mut m = self.stored_values();
        m.insert(
            "amount".into(),
            money::format_minor(self.amount_minor, &self.currency),
        );
        m.remove("amount_minor");
        m
    }
    fn label(&self) -> String {
        format!("{} {}", self.name, self.year)
    }
}

/// Something the partnership pays for year after year (a position, a unit, a
/// service), whose funders change over time by a schedule of shares.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostItem {
    pub name: String,
    pub kind: CostKind,
    pub currency: String,
    /// A recurring cost counts toward the public budget's share of the
    /// partnership's running costs.
    #[serde(default)]
    pub recurring: bool,
    #[serde(default)]
    pub description: String,
}

impl Resource for CostItem {
    const KIND: &'static str = "cost_item";
    const TABLE: &'static str = "cost_items";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name").unique(),
            Column::text("kind"),
            Column::text("currency"),
            Column::boolean("recurring"),
            Column::text("description"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let kind = p.choice("kind", CostKind::parse);
        let currency = match p
            .opt_text("currency", 3, false)
            .as_deref()
            .map(money::parse_currency)
        {
            Some(Some(c)) => c,
            _ => {
                p.errors.add(
                    "currency",
                    "invalid_currency",
                    "currency must be a three-letter code such as ILS, GBP or USD",
                );
                String::new()
            }
        };
        let recurring = p.flag("recurring");
        let description = p
            .opt_text("description", MAX_ANSWER, true)
            .unwrap_or_default();
        match kind {
            Some(kind) => p.errors.finish(Self {
                name,
                kind,
                currency,
                recurring,
                description,
            }),
            None => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// What the coordinator publishes of the initiative's funding on its portal.
/// One per initiative; without it, the portal shows nothing of the book.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FundingPublication {
    /// Who pays for what by year, and the public share over time.
    #[serde(default)]
    pub publish_transitions: bool,
    /// Budget against actual, per line, for each year.
    #[serde(default)]
    pub publish_book: bool,
    /// A word to residents shown above the figures.
    #[serde(default)]
    pub note: String,
}

impl Resource for FundingPublication {
    const KIND: &'static str = "funding_publication";
    const TABLE: &'static str = "funding_publications";
    const SCOPE: Scope = Scope::Initiative;
    const ONE_PER_INITIATIVE: bool = true;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::boolean("publish_transitions"),
            Column::boolean("publish_book"),
            Column::text("note"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let v = Self {
            publish_transitions: p.flag("publish_transitions"),
            publish_book: p.flag("publish_book"),
            note: p.opt_text("note", 1000, true).unwrap_or_default(),
        };
        p.errors.finish(v)
    }
    fn label(&self) -> String {
        "funding publication".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_commitment_reads_its_amount_in_the_currency_minor_units() {
        let c = Commitment::parse(&fields(&[
            ("title", "SPU years 1-2"),
            ("funder_id", "3"),
            ("amount", "1,200,000.50"),
            ("currency", "ils"),
            ("starts_on", "2019-01-01"),
            ("ends_on", "2020-12-31"),
            ("status", "signed"),
            ("signed_on", "2018-11-01"),
            ("cost_item_id", "7"),
        ]))
        .unwrap();
        assert_eq!(c.amount_minor, 120_000_050);
        assert_eq!(c.currency, "ILS");
        assert!(c.restricted() && c.is_signed());
        assert!(c.covers_year(2020) && !c.covers_year(2021));
        assert_eq!(
            c.to_fields().get("amount").map(String::as_str),
            Some("1200000.50")
        );
    }

    #[test]
    fn bad_commitments_are_refused_by_field() {
        let e = Commitment::parse(&fields(&[
            ("title", "x"),
            ("funder_id", "3"),
            ("amount", "-10"),
            ("currency", "IL"),
            ("starts_on", "2020-01-01"),
            ("ends_on", "2019-01-01"),
            ("status", "signed"),
            ("objective_id", "1"),
            ("activity_id", "2"),
        ]))
        .unwrap_err();
        for f in ["amount", "currency", "ends_on", "signed_on", "objective_id"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        assert_eq!(e.get("amount").unwrap().code, "negative");
    }

    #[test]
    fn the_api_gives_minor_units_directly() {
        let b = BudgetLine::parse(&fields(&[
            ("name", "Coordinator salary"),
            ("year", "2024"),
            ("amount_minor", "30000000"),
            ("currency", "ILS"),
        ]))
        .unwrap();
        assert_eq!(b.amount_minor, 30_000_000);
        let e = BudgetLine::parse(&fields(&[
            ("name", "x"),
            ("year", "2024"),
            ("amount_minor", "-1"),
            ("currency", "ILS"),
        ]))
        .unwrap_err();
        assert!(e.get("amount_minor").is_some());
    }
}
