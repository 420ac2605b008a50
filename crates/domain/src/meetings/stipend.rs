//! What attendance of paid members accrues.
//!
//! A membership may carry a stipend: an hourly rate in minor units
//! (`stipend_hourly_cents`) and its currency. A member marked present at a
//! meeting that was held accrues the meeting's length times that rate. The
//! length is measured between the start and end as instants in the meeting's
//! time zone, so a meeting across a daylight-saving change lasts what the clock
//! on the wall did not show.
//!
//! The rule, per person, month (of the meeting's local start date) and
//! currency: add up `minutes × cents_per_hour` over the month's meetings and
//! round once, half up:
//!
//! ```text
//! total_cents = round_half_up( Σ(minutes × cents_per_hour) / 60 )
//! ```
//!
//! Rounding once per month keeps the total independent of how the hours fall
//! across meetings: three meetings of 20 minutes at 1.01 an hour accrue 1.01,
//! not 3 × 0.34.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// One meeting a paid member attended.
#[derive(Debug, Clone)]
pub struct Attended {
    pub person_id: i64,
    pub meeting_id: i64,
    /// Local wall-clock start and end in `tz`.
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub tz: Tz,
    /// Minor units (cents) per hour.
    pub cents_per_hour: i64,
    pub currency: String,
}

/// What one person accrued in one month and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTotal {
    pub person_id: i64,
    pub year: i32,
    pub month: u32,
    pub currency: String,
    /// Meetings attended (present) in the month.
    pub meetings: u32,
    pub minutes: i64,
    /// Σ(minutes × cents_per_hour) / 60, rounded half up once.
    pub total_cents: i64,
}

/// The instant a local wall-clock time names in `tz`, read as the calendar
/// reads it ([`super::recurrence::resolve`]): a time in the hour the clocks
/// skip takes the offset before the change; one in the hour they repeat is
/// its first occurrence.
pub fn instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    super::recurrence::resolve(tz, local).with_timezone(&Utc)
}

/// A meeting's length in minutes, between its start and end as instants.
pub fn duration_minutes(starts_at: NaiveDateTime, ends_at: NaiveDateTime, tz: Tz) -> i64 {
    (instant(ends_at, tz) - instant(starts_at, tz))
        .num_minutes()
        .max(0)
}

/// `n / d` rounded half up, for `n ≥ 0` and `d > 0`.
pub fn round_half_up(n: i128, d: i128) -> i64 {
    debug_assert!(n >= 0 && d > 0);
    ((2 * n + d) / (2 * d)) as i64
}

/// Totals per person, month and currency, ordered by person, month and currency.
pub fn accrue(items: &[Attended]) -> Vec<MonthTotal> {
    // (person, year, month, currency) -> (meetings, minutes, Σ minutes × rate)
    type Key = (i64, i32, u32, String);
    let mut sums: BTreeMap<Key, (u32, i64, i128)> = BTreeMap::new();
    for a in items {
        let minutes = duration_minutes(a.starts_at, a.ends_at, a.tz);
        let d = a.starts_at.date();
        let e = sums
            .entry((a.person_id, d.year(), d.month(), a.currency.clone()))
            .or_default();
        e.0 += 1;
        e.1 += minutes;
        e.2 += minutes as i128 * a.cents_per_hour.max(0) as i128;
    }
    sums.into_iter()
        .map(
            |((person_id, year, month, currency), (meetings, minutes, sum))| MonthTotal {
                person_id,
                year,
                month,
                currency,
                meetings,
                minutes,
                total_cents: round_half_up(sum, 60),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meetings::records::parse_local;

    fn at(person: i64, start: &str, end: &str, tz: &str, rate: i64) -> Attended {
        Attended {
            person_id: person,
            meeting_id: 0,
            starts_at: parse_local(start).unwrap(),
            ends_at: parse_local(end).unwrap(),
            tz: tz.parse().unwrap(),
            cents_per_hour: rate,
            currency: "ILS".into(),
        }
    }

    #[test]
    fn rounding_is_half_up_and_once_per_month() {
        assert_eq!(round_half_up(0, 60), 0);
        assert_eq!(round_half_up(29, 60), 0);
        assert_eq!(round_half_up(30, 60), 1);
        assert_eq!(round_half_up(89, 60), 1);
        assert_eq!(round_half_up(90, 60), 2);
        // Three meetings of 20 minutes at 1.01 an hour: 3 × 20 × 101 / 60 = 101.
        let j = "Asia/Jerusalem";
        let items = vec![
            at(1, "2025-03-03T18:00", "2025-03-03T18:20", j, 101),
            at(1, "2025-03-10T18:00", "2025-03-10T18:20", j, 101),
            at(1, "2025-03-17T18:00", "2025-03-17T18:20", j, 101),
        ];
        let t = accrue(&items);
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].meetings, t[0].minutes, t[0].total_cents),
            (3, 60, 101)
        );
        // Each rounded on its own would have been 3 × 34 = 102.
    }

    #[test]
    fn months_and_people_and_currencies_are_apart() {
        let j = "Asia/Jerusalem";
        let mut usd = at(1, "2025-03-20T18:00", "2025-03-20T19:00", j, 1000);
        usd.currency = "USD".into();
        let items = vec![
            // 90 min × 5,000/h = 7,500
            at(1, "2025-03-06T18:00", "2025-03-06T19:30", j, 5000),
            // 45 min × 3,333/h = 2,499.75 -> 2,500
            at(2, "2025-03-06T18:00", "2025-03-06T18:45", j, 3333),
            // April: 50 min × 5,000/h = 4,166.67 -> 4,167
            at(1, "2025-04-03T18:00", "2025-04-03T18:50", j, 5000),
            usd,
        ];
        let t = accrue(&items);
        let got: Vec<_> = t
            .iter()
            .map(|m| {
                (
                    m.person_id,
                    m.month,
                    m.currency.as_str(),
                    m.minutes,
                    m.total_cents,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 3, "ILS", 90, 7500),
                (1, 3, "USD", 60, 1000),
                (1, 4, "ILS", 50, 4167),
                (2, 3, "ILS", 45, 2500),
            ]
        );
    }

    #[test]
    fn a_meeting_across_a_daylight_saving_change_lasts_its_real_length() {
        // Europe/London goes back on 2025-10-26 at 02:00 BST -> 01:00 GMT: a
        // meeting from 00:30 to 02:30 on the wall lasts three hours.
        let l = "Europe/London";
        assert_eq!(
            duration_minutes(
                parse_local("2025-10-26T00:30").unwrap(),
                parse_local("2025-10-26T02:30").unwrap(),
                l.parse().unwrap()
            ),
            180
        );
        // It goes forward on 2025-03-30 at 01:00 GMT -> 02:00 BST: 00:30 to
        // 02:30 on the wall lasts one hour.
        assert_eq!(
            duration_minutes(
                parse_local("2025-03-30T00:30").unwrap(),
                parse_local("2025-03-30T02:30").unwrap(),
                l.parse().unwrap()
            ),
            60
        );
        // Accrued at 12.00 an hour: 3 h -> 36.00 in October, 1 h -> 12.00 in March.
        let t = accrue(&[
            at(7, "2025-10-26T00:30", "2025-10-26T02:30", l, 1200),
            at(7, "2025-03-30T00:30", "2025-03-30T02:30", l, 1200),
        ]);
        assert_eq!(t[0].month, 3);
        assert_eq!(t[0].total_cents, 1200);
        assert_eq!(t[1].month, 10);
        assert_eq!(t[1].total_cents, 3600);
    }

    #[test]
    fn a_time_in_the_skipped_hour_reads_as_after_it() {
        // 01:30 does not exist in London on 2025-03-30: it is 02:30 BST.
        let l: Tz = "Europe/London".parse().unwrap();
        let skipped = instant(parse_local("2025-03-30T01:30").unwrap(), l);
        let after = instant(parse_local("2025-03-30T02:30").unwrap(), l);
        assert_eq!(skipped, after);
    }

    #[test]
    fn the_month_is_the_local_start_date() {
        // 00:30 on 1 April in Jerusalem is 21:30 UTC on 31 March: it counts in April.
        let j = "Asia/Jerusalem";
        let t = accrue(&[at(1, "2025-04-01T00:30", "2025-04-01T01:30", j, 600)]);
        assert_eq!((t[0].year, t[0].month, t[0].total_cents), (2025, 4, 600));
    }
}
