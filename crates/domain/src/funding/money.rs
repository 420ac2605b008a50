//! Money as integer minor units of one ISO 4217 currency: never a float, never
//! converted between currencies.

use std::cmp::Reverse;

/// The largest amount (in minor units) Backbone accepts: 10¹³, a hundred
/// billion shekels or pounds, far above any partnership's budget. Sums stay
/// inside `i64`: a full batch of these, and the running totals of nearly a
/// million of them.
pub const MAX_MINOR: i64 = 10_000_000_000_000;

/// Decimal places of a currency's minor unit (ISO 4217): 0 for the yen, 3 for
/// the Kuwaiti dinar, 2 for nearly everything else.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A currency code: three capital letters (`ILS`, `GBP`). Lower case is
/// accepted and raised.
pub fn parse_currency(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    Negative,
    TooManyDecimals(u32),
    NotANumber,
    TooLarge,
}

impl AmountError {
    pub fn message(&self, field: &str, currency: &str) -> String {
        match self {
            AmountError::Negative => format!("{field} must not be negative"),
            AmountError::TooManyDecimals(0) => {
                format!("{field} in {currency} takes no decimals")
            }
            AmountError::TooManyDecimals(n) => {
                format!("{field} in {currency} takes at most {n} decimals")
            }
            AmountError::NotANumber => format!("{field} must be an amount such as 1200 or 1200.50"),
            AmountError::TooLarge => format!("{field} is too large"),
        }
    }
}

/// Parse `1200`, `1200.5`, `1,200.50` into minor units of `currency`, exactly:
/// more decimals than the currency has are refused, never rounded.
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, AmountError> {
    let s: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    if s.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(AmountError::NotANumber);
    }
    let exp = exponent(currency);
    let frac = frac.trim_end_matches('0');
    if frac.len() as u32 > exp {
        return Err(AmountError::TooManyDecimals(exp));
    }
    let scale = 10i64.pow(exp);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountError::TooLarge)?
    };
    let frac_minor: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().map_err(|_| AmountError::NotANumber)?
            * 10i64.pow(exp - frac.len() as u32)
    };
    let v = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_minor))
        .ok_or(AmountError::TooLarge)?;
    if v > MAX_MINOR {
        return Err(AmountError::TooLarge);
    }
    Ok(v)
}

/// Minor units as a plain decimal in major units: `123456` ILS → `1234.56`.
pub fn format_minor(minor: i64, currency: &str) -> String {
    let exp = exponent(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exp == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(exp);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exp as usize
    )
}

/// Minor units with thousands separators and the code: `ILS 1,234.56`.
pub fn display(minor: i64, currency: &str) -> String {
    let plain = format_minor(minor, currency);
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain.as_str()),
    };
    let (whole, frac) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{currency} {sign}{grouped}.{f}"),
        None => format!("{currency} {sign}{grouped}"),
    }
}

/// A share in basis points: 10,000 is the whole (100%).
pub const WHOLE: u32 = 10_000;

/// Split `total` minor units by shares (basis points summing to [`WHOLE`]) so
/// that the parts sum exactly to the total: each part is rounded down, then the
/// minor units left over go one each to the largest remainders (ties to the
/// earlier share). A zero share always gets zero.
pub fn split(total: i64, shares: &[u32]) -> Vec<i64> {
    let whole = WHOLE as i128;
    let mut parts: Vec<i64> = Vec::with_capacity(shares.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(shares.len());
    for (i, s) in shares.iter().enumerate() {
        let exact = total as i128 * *s as i128;
        parts.push((exact.div_euclid(whole)) as i64);
        rems.push((exact.rem_euclid(whole), i));
    }
    let mut left = total - parts.iter().sum::<i64>();
    rems.sort_by_key(|(r, i)| (Reverse(*r), *i));
    for (r, i) in rems {
        if left <= 0 {
            break;
        }
        if r > 0 {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
}

/// A percentage with up to two decimals (`33.5`, `66.67`) in basis points.
pub fn parse_share(text: &str) -> Option<u32> {
    let s = text.trim().trim_end_matches('%').trim();
    let bp = parse_amount(s, "XXX").ok()?; // two decimals
    (bp <= WHOLE as i64).then_some(bp as u32)
}

/// Basis points as a percentage: 3350 → `33.5`.
pub fn format_share(bp: u32) -> String {
    let s = format_minor(bp as i64, "XXX");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_by_currency() {
        assert_eq!(parse_amount("1200", "ILS"), Ok(120_000));
        assert_eq!(parse_amount("1,200.5", "ILS"), Ok(120_050));
        assert_eq!(parse_amount("0.01", "GBP"), Ok(1));
        assert_eq!(parse_amount("1200", "JPY"), Ok(1200));
        assert_eq!(
            parse_amount("1.5", "JPY"),
            Err(AmountError::TooManyDecimals(0))
        );
        assert_eq!(
            parse_amount("1.001", "ILS"),
            Err(AmountError::TooManyDecimals(2))
        );
        assert_eq!(parse_amount("1.001", "KWD"), Ok(1001));
        assert_eq!(parse_amount("-5", "ILS"), Err(AmountError::Negative));
        assert_eq!(parse_amount("5e3", "ILS"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("", "ILS"), Err(AmountError::NotANumber));
        assert_eq!(
            parse_amount("99999999999999999999", "ILS"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn amounts_format_in_major_units() {
        assert_eq!(format_minor(120_050, "ILS"), "1200.50");
        assert_eq!(format_minor(-5, "ILS"), "-0.05");
        assert_eq!(format_minor(1200, "JPY"), "1200");
        assert_eq!(display(123_456_789, "GBP"), "GBP 1,234,567.89");
        assert_eq!(display(-100_000, "ILS"), "ILS -1,000.00");
        assert_eq!(display(999, "JPY"), "JPY 999");
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(parse_currency("ils").as_deref(), Some("ILS"));
        assert_eq!(parse_currency("IL"), None);
        assert_eq!(parse_currency("I1S"), None);
    }

    #[test]
    fn shares_split_sums_exactly_to_the_total() {
        assert_eq!(split(100, &[3333, 3333, 3334]), vec![33, 33, 34]);
        assert_eq!(split(100, &[5000, 5000]), vec![50, 50]);
        // 10 × 1/3: 3.333, 3.333, 3.334 → one unit left over goes to the largest remainder.
        assert_eq!(split(10, &[3333, 3333, 3334]), vec![3, 3, 4]);
        // Equal remainders: the earlier share gets the unit.
        assert_eq!(split(1, &[5000, 5000]), vec![1, 0]);
        assert_eq!(split(7, &[10_000, 0]), vec![7, 0]);
        for total in [0i64, 1, 99, 101, 12_345_678] {
            for shares in [
                vec![6600, 3400],
                vec![3300, 6700],
                vec![1, 9999],
                vec![2500; 4],
            ] {
                let parts = split(total, &shares);
                assert_eq!(parts.iter().sum::<i64>(), total, "{total} {shares:?}");
                for (p, s) in parts.iter().zip(&shares) {
                    let exact = total as f64 * *s as f64 / 10_000.0;
                    assert!((*p as f64 - exact).abs() < 1.0, "{p} vs {exact}");
                }
            }
        }
    }

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(parse_share("66"), Some(6600));
        assert_eq!(parse_share("33.5%"), Some(3350));
        assert_eq!(parse_share("100"), Some(10_000));
        assert_eq!(parse_share("100.01"), None);
        assert_eq!(parse_share("-1"), None);
        assert_eq!(format_share(3350), "33.5");
        assert_eq!(format_share(10_000), "100");
        assert_eq!(format_share(0), "0");
    }
}
