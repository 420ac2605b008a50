//! Validation rules over indicators, written `left op right`:
//! `enrolled <= eligible`, `attendance_rate <= 100`, `served >= 0`.
//!
//! A rule compares two operands, each an indicator code (its value for the
//! same site and period) or a number. It is kept as text (what a person
//! wrote and can read back), parsed here into a [`Rule`] whose [`Rule::check`]
//! says whether a set of values keeps it. Nothing is looked up here: the
//! caller says what each code's value is.
//!
//! Grammar:
//! - comparisons `<` `<=` `=` `==` `!=` `>=` `>` (`=` and `==` mean the same);
//! - an operand is a number when it is written as one — an optional sign,
//!   digits and at most one decimal point (`12`, `-0.5`, `.5`) — and an
//!   indicator code otherwise, made of `A–Z a–z 0–9 _ . -`;
//! - spaces around the comparison are optional; a rule has exactly one;
//! - at least one side is an indicator (comparing two numbers checks
//!   nothing).
//!
//! A code that is written like a number (`2025`) is read as that number, so
//! such codes cannot appear in rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Decimal;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl Op {
    pub const ALL: &'static [Op] = &[Op::Lt, Op::Le, Op::Eq, Op::Ne, Op::Ge, Op::Gt];

    /// The spelling a rule is written back with (`=` for equality).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }

    /// Read a comparison: `<`, `<=`, `=`, `==`, `!=`, `>=` or `>`.
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<" => Op::Lt,
            "<=" => Op::Le,
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            _ => return None,
        })
    }

    /// Whether `left op right` holds. Decimals compare by value: 1.0 = 1.
    pub fn holds(self, left: Decimal, right: Decimal) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Ge => left >= right,
            Op::Gt => left > right,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// An indicator, by code: its value for the site and period checked.
    Indicator(String),
    /// A constant.
    Number(Decimal),
}

impl Operand {
    /// Read one side: a number when written as one, else an indicator code.
    fn parse(token: &str) -> Result<Operand, RuleError> {
        if looks_like_number(token) {
            return Decimal::from_str(token.strip_prefix('+').unwrap_or(token))
                .map(Operand::Number)
                .map_err(|_| RuleError::NumberOutOfRange(token.to_string()));
        }
        if is_code(token) {
            Ok(Operand::Indicator(token.to_string()))
        } else {
            Err(RuleError::BadOperand(token.to_string()))
        }
    }

    /// The operand's value: the indicator's, as `value_of` gives it, or the
    /// constant.
    fn value(&self, value_of: &impl Fn(&str) -> Option<Decimal>) -> Option<Decimal> {
        match self {
            Operand::Indicator(code) => value_of(code),
            Operand::Number(n) => Some(*n),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Indicator(code) => f.write_str(code),
            Operand::Number(n) => write!(f, "{n}"),
        }
    }
}

/// An optional sign, then digits with at most one decimal point, at least
/// one digit.
fn looks_like_number(token: &str) -> bool {
    let body = token.strip_prefix(['+', '-']).unwrap_or(token);
    body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
}

/// `[A-Za-z0-9_.-]+`, the characters of an indicator code.
fn is_code(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_op_char(c: char) -> bool {
    matches!(c, '<' | '>' | '=' | '!')
}

/// A validation rule: `left op right`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

/// Why a rule's text was refused; its message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// Nothing was written.
    Empty,
    /// The text has no comparison.
    NoOperator(String),
    /// A run of `< > = !` that is not one of the comparisons.
    UnknownOperator(String),
    /// More than one comparison (`a <= b <= c`).
    TooManyOperators(String),
    /// Nothing before the comparison.
    MissingLeft,
    /// Nothing after the comparison.
    MissingRight,
    /// A side that is neither a number nor an indicator code.
    BadOperand(String),
    /// A number too large for a decimal.
    NumberOutOfRange(String),
    /// Both sides are numbers.
    NoIndicator(String),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const OPS: &str = "< <= = == != >= >";
        match self {
            RuleError::Empty => write!(
                f,
                "the rule is empty: write it as `left comparison right`, e.g. `enrolled <= eligible`"
            ),
            RuleError::NoOperator(text) => write!(
                f,
                "{text:?} has no comparison: put one of {OPS} between two indicator codes or numbers"
            ),
            RuleError::UnknownOperator(op) => {
                write!(f, "{op:?} is not a comparison: use one of {OPS}")
            }
            RuleError::TooManyOperators(text) => write!(
                f,
                "{text:?} has more than one comparison: a rule compares two things (write two rules)"
            ),
            RuleError::MissingLeft => {
                write!(f, "the rule has nothing before its comparison")
            }
            RuleError::MissingRight => {
                write!(f, "the rule has nothing after its comparison")
            }
            RuleError::BadOperand(token) => write!(
                f,
                "{token:?} is neither a number nor an indicator code (letters, digits, _ . - without spaces)"
            ),
            RuleError::NumberOutOfRange(token) => {
                write!(f, "{token:?} is too large a number")
            }
            RuleError::NoIndicator(text) => write!(
                f,
                "{text:?} compares two numbers: a rule needs at least one indicator code"
            ),
        }
    }
}

impl std::error::Error for RuleError {}

impl Rule {
    /// Read a rule from its text (grammar in the [module docs](self)).
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RuleError::Empty);
        }
        let Some(start) = text.find(is_op_char) else {
            return Err(RuleError::NoOperator(text.to_string()));
        };
        let end = text[start..]
            .find(|c| !is_op_char(c))
            .map_or(text.len(), |i| start + i);
        let op_text = &text[start..end];
        let op = Op::parse(op_text).ok_or_else(|| RuleError::UnknownOperator(op_text.into()))?;
        let (left, right) = (text[..start].trim(), text[end..].trim());
        if right.contains(is_op_char) {
            return Err(RuleError::TooManyOperators(text.to_string()));
        }
        if left.is_empty() {
            return Err(RuleError::MissingLeft);
        }
        if right.is_empty() {
            return Err(RuleError::MissingRight);
        }
        let rule = Rule {
            left: Operand::parse(left)?,
            op,
            right: Operand::parse(right)?,
        };
        if rule.indicators().next().is_none() {
            return Err(RuleError::NoIndicator(text.to_string()));
        }
        Ok(rule)
    }

    /// Whether the values keep the rule; `value_of` gives an indicator's
    /// value by code. `None` when an operand has no value: a rule about a
    /// missing figure is neither kept nor broken.
    pub fn check(&self, value_of: impl Fn(&str) -> Option<Decimal>) -> Option<bool> {
        let left = self.left.value(&value_of)?;
        let right = self.right.value(&value_of)?;
        Some(self.op.holds(left, right))
    }

    /// The indicator codes the rule refers to, left first.
    pub fn indicators(&self) -> impl Iterator<Item = &str> {
        [&self.left, &self.right]
            .into_iter()
            .filter_map(|operand| match operand {
                Operand::Indicator(code) => Some(code.as_str()),
                Operand::Number(_) => None,
            })
    }
}

impl fmt::Display for Rule {
    /// `left op right` with single spaces: `enrolled <= eligible`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op, self.right)
    }
}

impl FromStr for Rule {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A rule travels as its text.
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn code(s: &str) -> Operand {
        Operand::Indicator(s.to_string())
    }
    fn rule(s: &str) -> Rule {
        Rule::parse(s).unwrap()
    }

    #[test]
    fn rules_parse_and_print_back() {
        assert_eq!(
            rule("enrolled <= eligible"),
            Rule {
                left: code("enrolled"),
                op: Op::Le,
                right: code("eligible")
            }
        );
        assert_eq!(
            rule("  enrolled<=eligible ").to_string(),
            "enrolled <= eligible"
        );
        assert_eq!(rule("a == b"), rule("a = b"));
        assert_eq!(rule("a == b").to_string(), "a = b");
        for (text, op) in [
            ("a < b", Op::Lt),
            ("a <= b", Op::Le),
            ("a = b", Op::Eq),
            ("a != b", Op::Ne),
            ("a >= b", Op::Ge),
            ("a > b", Op::Gt),
        ] {
            assert_eq!(rule(text).op, op);
            assert_eq!(rule(text).to_string(), text);
        }
        for op in Op::ALL {
            assert_eq!(Op::parse(op.as_str()), Some(*op));
        }
    }

    #[test]
    fn operands_are_codes_or_numbers() {
        let r = rule("SDG_4.1.1-a >= -0.5");
        assert_eq!(r.left, code("SDG_4.1.1-a"));
        assert_eq!(r.right, Operand::Number(d("-0.5")));
        assert_eq!(r.to_string(), "SDG_4.1.1-a >= -0.5");
        assert_eq!(rule("rate <= 100.00").right, Operand::Number(d("100")));
        assert_eq!(rule("rate <= 100.00").to_string(), "rate <= 100.00");
        assert_eq!(rule("x > +3").right, Operand::Number(d("3")));
        assert_eq!(rule("x > .5").right, Operand::Number(d("0.5")));
        assert_eq!(rule("0 <= served").left, Operand::Number(d("0")));
        // Two dots, a letter: a code.
        assert_eq!(rule("x > 1.2.3").right, code("1.2.3"));
        assert_eq!(rule("x > 1e5").right, code("1e5"));
        assert_eq!(rule("a != b").indicators().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(rule("5 > b").indicators().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let err = |s: &str| Rule::parse(s).unwrap_err();
        assert_eq!(err("   "), RuleError::Empty);
        assert_eq!(
            err("enrolled eligible"),
            RuleError::NoOperator("enrolled eligible".into())
        );
        assert_eq!(err("a => b"), RuleError::UnknownOperator("=>".into()));
        assert_eq!(err("a <> b"), RuleError::UnknownOperator("<>".into()));
        assert_eq!(err("a !b"), RuleError::UnknownOperator("!".into()));
        assert_eq!(
            err("a <= b <= c"),
            RuleError::TooManyOperators("a <= b <= c".into())
        );
        assert_eq!(err("<= b"), RuleError::MissingLeft);
        assert_eq!(err("a <="), RuleError::MissingRight);
        assert_eq!(
            err("en rolled <= b"),
            RuleError::BadOperand("en rolled".into())
        );
        assert_eq!(err("a <= b*2"), RuleError::BadOperand("b*2".into()));
        assert_eq!(err("1 < 2"), RuleError::NoIndicator("1 < 2".into()));
        let huge = "a < 999999999999999999999999999999999";
        assert!(matches!(err(huge), RuleError::NumberOutOfRange(_)));
        // Messages name the culprit.
        assert!(
            err("a => b")
                .to_string()
                .contains("\"=>\" is not a comparison")
        );
        assert!(err("en rolled <= b").to_string().contains("\"en rolled\""));
        assert!(err("a <=").to_string().contains("nothing after"));
    }

    #[test]
    fn check_compares_values_and_skips_missing_ones() {
        let values = |code: &str| match code {
            "enrolled" => Some(d("120")),
            "eligible" => Some(d("100")),
            "rate" => Some(d("1.0")),
            _ => None,
        };
        assert_eq!(rule("enrolled <= eligible").check(values), Some(false));
        assert_eq!(rule("enrolled > eligible").check(values), Some(true));
        assert_eq!(rule("enrolled != 120").check(values), Some(false));
        assert_eq!(rule("rate = 1").check(values), Some(true));
        assert_eq!(rule("eligible >= 100").check(values), Some(true));
        assert_eq!(rule("eligible < 100").check(values), Some(false));
        assert_eq!(rule("unknown <= eligible").check(values), None);
        assert_eq!(rule("enrolled <= unknown").check(values), None);
    }

    #[test]
    fn rules_travel_as_text() {
        let r = rule("enrolled<=eligible");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"enrolled <= eligible\"");
        assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), r);
        assert!(serde_json::from_str::<Rule>("\"a <> b\"").is_err());
    }
}
