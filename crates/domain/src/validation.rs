//! Field-level parsing shared by forms and the JSON API.
//!
//! Input arrives as a [`FieldMap`] (form fields or a JSON object flattened to
//! strings). Each parser either returns a typed value or records a [`FieldError`]
//! under the field's name, so one pass reports every problem at once and the caller
//! writes nothing unless all fields are valid.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// Raw input: field name → submitted text. Missing and empty are the same.
pub type FieldMap = BTreeMap<String, String>;

/// Longest single-line text we accept (names, titles).
pub const MAX_NAME: usize = 200;
/// Longest multi-line text we accept (descriptions, purposes).
pub const MAX_TEXT: usize = 5000;

/// Why a field was refused. `code` is stable and translated by the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
    /// The record this one would duplicate, when that is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<Existing>,
}

/// A live record a refused write would have duplicated: pages link to it and
/// the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Existing {
    /// The kind's singular name (`organization`, `person`, `membership`).
    pub kind: &'static str,
    pub id: i64,
    /// Its label (a name).
    pub name: String,
}

/// Every refused field of one submission, by field name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, FieldError>);

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert(FieldError {
            code,
            message: message.into(),
            existing: None,
        });
    }
    /// Refuse `field` because the write would duplicate `existing`.
    pub fn duplicate(&mut self, field: &str, message: impl Into<String>, existing: Existing) {
        self.naming(field, "duplicate", message, existing);
    }
    /// Refuse `field` for `code`, naming the existing record that is the reason.
    pub fn naming(
        &mut self,
        field: &str,
        code: &'static str,
        message: impl Into<String>,
        existing: Existing,
    ) {
        self.0.entry(field.to_string()).or_insert(FieldError {
            code,
            message: message.into(),
            existing: Some(existing),
        });
    }
    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.add(field, code, message);
        e
    }
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field)
    }
    /// `Ok(value)` when nothing was recorded, else the errors.
    pub fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// A cursor over one submission that collects errors as fields are parsed.
pub struct Parser<'a> {
    input: &'a FieldMap,
    pub errors: FieldErrors,
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a FieldMap) -> Self {
        Self {
            input,
            errors: FieldErrors::default(),
        }
    }

    fn raw(&self, field: &str) -> Option<&'a str> {
        self.input
            .get(field)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// Required single-line text of at most `max` characters, without control characters.
    pub fn name(&mut self, field: &str, max: usize) -> String {
        match self.opt_text(field, max, false) {
            Some(s) => s,
            None => {
                if self.errors.get(field).is_none() {
                    self.errors
                        .add(field, "required", format!("{field} is required"));
                }
                String::new()
            }
        }
    }

    /// An optional ISO 4217 code ("ils" → "ILS").
    pub fn opt_currency(&mut self, field: &str) -> Option<String> {
        let s = self.raw(field)?;
        let code = crate::funding::money::parse_currency(s);
        if code.is_none() {
            self.errors.add(
                field,
                "invalid_currency",
                format!("{field} must be a three-letter code such as ILS, GBP or USD"),
            );
        }
        code
    }

    /// Optional text; `multiline` allows line breaks.
    pub fn opt_text(&mut self, field: &str, max: usize, multiline: bool) -> Option<String> {
        let s = self.raw(field)?;
        if s.chars().count() > max {
            self.errors.add(
                field,
                "too_long",
                format!("{field} must be at most {max} characters"),
            );
            return None;
        }
        let bad = s
            .chars()
            .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
        if bad {
            self.errors.add(
                field,
                "invalid_characters",
                format!("{field} contains control characters"),
            );
            return None;
        }
        Some(s.to_string())
    }

    /// Optional multi-line text, empty string when absent (descriptions).
    /// A yes/no field: a checked box sends "on" (or "true"/"1"); an absent or
    /// empty field is no.
    pub fn flag(&mut self, field: &str) -> bool {
        match self.input.get(field).map(|s| s.trim()) {
            None | Some("" | "false" | "off" | "0") => false,
            Some("true" | "on" | "1") => true,
            Some(_) => {
                self.errors.add(
                    field,
                    "invalid_flag",
                    format!("{field} must be true or false"),
                );
                false
            }
        }
    }

    pub fn text(&mut self, field: &str) -> String {
        self.opt_text(field, MAX_TEXT, true).unwrap_or_default()
    }

    /// A URL slug: 2–60 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
    pub fn slug(&mut self, field: &str) -> String {
        let s = self.name(field, 60);
        if !s.is_empty() && !is_slug(&s) {
            self.errors.add(
                field,
                "invalid_slug",
                format!("{field} may only contain lowercase letters, digits and hyphens"),
            );
        }
        s
    }

    pub fn opt_email(&mut self, field: &str) -> Option<String> {
        let s = self.opt_text(field, 254, false)?;
        if is_email(&s) {
            Some(s)
        } else {
            self.errors.add(
                field,
                "invalid_email",
                format!("{field} is not an email address"),
            );
            None
        }
    }

    /// An absolute `http` or `https` URL.
    pub fn opt_url(&mut self, field: &str) -> Option<String> {
        let s = self.opt_text(field, 2000, false)?;
        match url::Url::parse(&s) {
            Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
                Some(s)
            }
            _ => {
                self.errors.add(
                    field,
                    "invalid_url",
                    format!("{field} must be a web address starting with https:// or http://"),
                );
                None
            }
        }
    }

    /// An org-id style identifier (`XX-ABC-123`), see <https://org-id.guide>.
    pub fn opt_org_identifier(&mut self, field: &str) -> Option<String> {
        let s = self.opt_text(field, 100, false)?;
        if is_org_identifier(&s) {
            Some(s)
        } else {
            self.errors.add(
                field,
                "invalid_identifier",
                format!("{field} must look like XX-ABC-123 (country or XI, list code, number)"),
            );
            None
        }
    }

    /// One of a closed list of choices (stable snake_case codes).
    pub fn choice<T: Copy>(&mut self, field: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
        match self.raw(field) {
            None => {
                self.errors
                    .add(field, "required", format!("{field} is required"));
                None
            }
            Some(s) => match parse(s) {
                Some(v) => Some(v),
                None => {
                    self.errors.add(
                        field,
                        "unknown_choice",
                        format!("{field}: unknown value '{}'", truncate(s, 40)),
                    );
                    None
                }
            },
        }
    }

    pub fn opt_int(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        let s = self.raw(field)?;
        match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.errors.add(
                    field,
                    "invalid_number",
                    format!("{field} must be a whole number from {min} to {max}"),
                );
                None
            }
        }
    }

    pub fn int(&mut self, field: &str, min: i64, max: i64) -> i64 {
        if self.raw(field).is_none() {
            self.errors
                .add(field, "required", format!("{field} is required"));
            return 0;
        }
        self.opt_int(field, min, max).unwrap_or(0)
    }

    /// A reference to another record by id (a positive integer).
    pub fn id(&mut self, field: &str) -> i64 {
        self.int(field, 1, i64::MAX)
    }

    pub fn opt_id(&mut self, field: &str) -> Option<i64> {
        self.opt_int(field, 1, i64::MAX)
    }

    pub fn opt_date(&mut self, field: &str) -> Option<NaiveDate> {
        let s = self.raw(field)?;
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.errors.add(
                    field,
                    "invalid_date",
                    format!("{field} must be a date as YYYY-MM-DD"),
                );
                None
            }
        }
    }

    pub fn date(&mut self, field: &str) -> Option<NaiveDate> {
        if self.raw(field).is_none() {
            self.errors
                .add(field, "required", format!("{field} is required"));
            return None;
        }
        self.opt_date(field)
    }

    /// A non-negative amount with at most two decimals, returned in hundredths.
    pub fn opt_money(&mut self, field: &str) -> Option<i64> {
        let s = self.raw(field)?;
        match parse_hundredths(s) {
            Some(v) => Some(v),
            None => {
                self.errors.add(
                    field,
                    "invalid_amount",
                    format!("{field} must be an amount such as 25 or 25.50"),
                );
                None
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A name folded for comparison: lower case, letters and digits only (spaces,
/// punctuation and marks dropped). Two names that fold alike name one thing.
pub fn fold_name(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two terms overlap, each from its first day to its last (both
/// included), a missing last day meaning it has not ended.
pub fn terms_overlap(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.0 <= b.1.unwrap_or(NaiveDate::MAX) && b.0 <= a.1.unwrap_or(NaiveDate::MAX)
}

/// A slug made from a name: ASCII letters and digits in lower case, every
/// other run of characters one hyphen, at most 60 ("Lod Early Years" →
/// `lod-early-years`). Empty when the name has no ASCII letter or digit (a
/// Hebrew name): then a slug must be typed.
pub fn slug_from(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(60).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

pub fn is_slug(s: &str) -> bool {
    (2..=60).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// `XX-ABC-123`: a two-letter prefix (ISO country or `XI`/`XM`), a list code of
/// capital letters and digits, and the identifier on that list.
pub fn is_org_identifier(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(country), Some(list), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && (2..=12).contains(&list.len())
        && list
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

/// "25" → 2500, "25.5" → 2550, "25.50" → 2550; negatives and three decimals are refused.
pub fn parse_hundredths(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(w * 100 + f)
}

pub fn format_hundredths(v: i64) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from("Lod Early Years"), "lod-early-years");
        assert_eq!(
            slug_from("  Kiryat Malachi — Education City! "),
            "kiryat-malachi-education-city"
        );
        assert_eq!(slug_from("קריית מלאכי"), "");
        assert!(is_slug(&slug_from("Tel Aviv-Yafo 2030")));
        assert!(slug_from(&"a ".repeat(100)).len() <= 60);
    }

    #[test]
    fn names_fold_over_case_spaces_and_punctuation() {
        assert_eq!(fold_name("Lod Municipality"), "lodmunicipality");
        assert_eq!(
            fold_name("  LOD-municipality. "),
            fold_name("Lod Municipality")
        );
        assert_eq!(
            fold_name("Joint–Israel (Ashalim)"),
            fold_name("joint israel ashalim")
        );
        assert_eq!(fold_name("עיריית לוד"), fold_name("עיריית-לוד"));
        assert_ne!(
            fold_name("Lod Municipality"),
            fold_name("Lod Municipality 2")
        );
        assert_eq!(fold_name("…"), "");
    }

    #[test]
    fn terms_overlap_on_shared_days_only() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let jan = (d("2025-01-01"), Some(d("2025-01-31")));
        assert!(
            terms_overlap(jan, (d("2025-01-31"), None)),
            "the last day is shared"
        );
        assert!(
            !terms_overlap(jan, (d("2025-02-01"), None)),
            "the next day starts a new term"
        );
        assert!(
            terms_overlap((d("2024-01-01"), None), jan),
            "an open term covers later ones"
        );
        assert!(!terms_overlap(
            jan,
            (d("2024-01-01"), Some(d("2024-12-31")))
        ));
        assert!(
            terms_overlap(jan, (d("2025-01-10"), Some(d("2025-01-12")))),
            "inside"
        );
    }

    #[test]
    fn names_are_required_trimmed_and_bounded() {
        let input = map(&[("a", "  Kiryat  "), ("b", ""), ("c", &"x".repeat(201))]);
        let mut p = Parser::new(&input);
        assert_eq!(p.name("a", MAX_NAME), "Kiryat");
        p.name("b", MAX_NAME);
        p.name("c", MAX_NAME);
        assert_eq!(p.errors.get("b").unwrap().code, "required");
        assert_eq!(p.errors.get("c").unwrap().code, "too_long");
    }

    #[test]
    fn identifiers_follow_org_id() {
        assert!(is_org_identifier("GB-CHC-1234567"));
        assert!(is_org_identifier("IL-RA-580000000"));
        assert!(is_org_identifier("XI-IATI-ABC"));
        assert!(!is_org_identifier("gb-chc-1"));
        assert!(!is_org_identifier("GB-1234567"));
        assert!(!is_org_identifier("GBR-CHC-1"));
        assert!(!is_org_identifier("GB-CHC-"));
    }

    #[test]
    fn urls_must_be_web_addresses() {
        let input = map(&[
            ("ok", "https://example.org/x"),
            ("bad", "javascript:alert(1)"),
            ("rel", "/x"),
        ]);
        let mut p = Parser::new(&input);
        assert!(p.opt_url("ok").is_some());
        assert!(p.opt_url("bad").is_none());
        assert!(p.opt_url("rel").is_none());
        assert_eq!(p.errors.0.len(), 2);
    }

    #[test]
    fn money_in_hundredths() {
        assert_eq!(parse_hundredths("25"), Some(2500));
        assert_eq!(parse_hundredths("25.5"), Some(2550));
        assert_eq!(parse_hundredths("0.05"), Some(5));
        assert_eq!(parse_hundredths("-1"), None);
        assert_eq!(parse_hundredths("1.005"), None);
        assert_eq!(format_hundredths(2550), "25.50");
    }

    #[test]
    fn slugs() {
        assert!(is_slug("kiryat-malachi"));
        assert!(!is_slug("Kiryat"));
        assert!(!is_slug("-a"));
        assert!(!is_slug("a--b"));
    }

    #[test]
    fn dates_and_choices() {
        let input = map(&[("d", "2016-13-01"), ("c", "martian")]);
        let mut p = Parser::new(&input);
        assert!(p.opt_date("d").is_none());
        assert!(p.choice("c", |s| (s == "x").then_some(1)).is_none());
        assert_eq!(p.errors.get("d").unwrap().code, "invalid_date");
        assert_eq!(p.errors.get("c").unwrap().code, "unknown_choice");
    }
}
