//! A series' occurrences as instants, across daylight-saving changes, and the
//! cadence warning of a body.
//!
//! A series keeps its wall-clock time: a meeting at 18:00 stays at 18:00 local
//! time in winter and in summer, so its instant moves by the zone's offset.
//! Local times that do not exist or exist twice are read as RFC 5545 §3.3.5
//! reads them (and as Python's `zoneinfo` does with `fold=0`):
//!
//! - a local time in a gap (clocks jump forward) takes the offset in effect
//!   before the gap: 02:30 on a spring-forward day at +02:00 is the instant
//!   02:30+02:00, shown as 03:30+03:00;
//! - an ambiguous local time (clocks fall back) is the first, earlier instant.

use std::collections::HashMap;

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::Serialize;

use super::records::{Meeting, MeetingSeries, MeetingStatus};
use crate::resource::Record;

/// The instant of a local wall-clock time in `tz` (see the module's rules for
/// gaps and ambiguous times).
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.fixed_offset(),
        LocalResult::Ambiguous(first, _) => first.fixed_offset(),
        LocalResult::None => {
            // In a gap: the offset in effect a day before (transitions are
            // never a day apart) gives the instant, shown in the offset after.
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix();
            let utc = local - Duration::seconds(before.local_minus_utc() as i64);
            Utc.from_utc_datetime(&utc)
                .with_timezone(&tz)
                .fixed_offset()
        }
    }
}

/// One occurrence of a series: the local start the series gives it (its
/// RECURRENCE-ID) and its start and end instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub original_start: NaiveDateTime,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

/// The local starts of a series: the first, then every `interval_weeks`
/// weeks, as long as the day is not after `until`.
pub fn local_starts(
    first: NaiveDateTime,
    interval_weeks: i64,
    until: NaiveDate,
) -> impl Iterator<Item = NaiveDateTime> {
    let step = Duration::weeks(interval_weeks.max(1));
    std::iter::successors(Some(first), move |t| Some(*t + step))
        .take_while(move |t| t.date() <= until)
}

/// Every occurrence of a series, in order. The end keeps the wall-clock
/// length: a 90-minute meeting ends 90 minutes of local time after it starts.
pub fn expand(series: &MeetingSeries) -> Vec<Occurrence> {
    let tz = series.tz();
    let length = Duration::minutes(series.duration_minutes);
    local_starts(
        series.first_start_local(),
        series.interval_weeks,
        series.until,
    )
    .map(|l| Occurrence {
        original_start: l,
        start: resolve(tz, l),
        end: resolve(tz, l + length),
    })
    .collect()
}

/// The last instant a series may start at: the end of its last day, local
/// (an RRULE's UNTIL, given in UTC).
pub fn until_instant(series: &MeetingSeries) -> DateTime<Utc> {
    let next_day = series
        .until
        .succ_opt()
        .unwrap_or(series.until)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    (resolve(series.tz(), next_day) - Duration::seconds(1)).with_timezone(&Utc)
}

/// Everything a calendar feed (and the list of occurrences) is made of: the
/// series and the meetings of one body, or of every body of one user.
#[derive(Debug, Clone, Default)]
pub struct FeedData {
    /// The calendar's name (X-WR-CALNAME).
    pub name: String,
    pub series: Vec<Record<MeetingSeries>>,
    /// Live meetings, by start.
    pub meetings: Vec<Record<Meeting>>,
    /// Meeting id → (series id, the local start the series gave it).
    pub links: HashMap<i64, (i64, NaiveDateTime)>,
    /// Meeting id → its agenda items' titles, in order.
    pub agendas: HashMap<i64, Vec<String>>,
    /// Initiative id → slug (for stable UIDs and links).
    pub slugs: HashMap<i64, String>,
    /// Body id → name.
    pub bodies: HashMap<i64, String>,
}

/// One occurrence as the export and the API list it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OccurrenceRow {
    /// The meeting's id.
    pub id: i64,
    pub body_id: i64,
    pub title: String,
    /// RFC 3339 with the offset: `2025-03-27T18:00:00+02:00`.
    pub start: String,
    pub end: String,
    pub time_zone: String,
    pub status: MeetingStatus,
    pub series_id: Option<i64>,
    pub original_start: Option<String>,
    pub place: String,
    pub online_url: Option<String>,
}

/// An instant as RFC 3339 with its offset, to the second.
pub fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The meetings of a feed, one row per occurrence, by start: every occurrence
/// of a series is a meeting (exceptions applied: moved ones at their new
/// time, cancelled ones included and marked).
pub fn occurrence_rows(feed: &FeedData) -> Vec<OccurrenceRow> {
    let tzs: HashMap<i64, Tz> = feed.series.iter().map(|s| (s.id, s.data.tz())).collect();
    let mut rows: Vec<(DateTime<FixedOffset>, OccurrenceRow)> = feed
        .meetings
        .iter()
        .map(|m| {
            let tz = m.data.tz();
            let start = resolve(tz, m.data.start_local());
            let link = feed.links.get(&m.id);
            let original_start = link
                .map(|(sid, orig)| rfc3339(resolve(tzs.get(sid).copied().unwrap_or(tz), *orig)));
            (
                start,
                OccurrenceRow {
                    id: m.id,
                    body_id: m.data.body_id,
                    title: m.data.title.clone(),
                    start: rfc3339(start),
                    end: rfc3339(resolve(tz, m.data.end_local())),
                    time_zone: m.data.time_zone.clone(),
                    status: m.data.status,
                    series_id: link.map(|(s, _)| *s),
                    original_start,
                    place: m.data.place.clone(),
                    online_url: m.data.online_url.clone(),
                },
            )
        })
        .collect();
    rows.sort_by_key(|(t, r)| (*t, r.id));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Why a body's calendar needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CadenceWarning {
    /// No meeting held or planned at all.
    NeverMet,
    /// The last meeting was `days` days ago, more than the cadence allows.
    Overdue { last: NaiveDate, days: i64 },
    /// Two consecutive meetings (the last one held and the next planned, or two
    /// planned ones) are `days` days apart, more than the cadence allows.
    PlannedGap {
        from: NaiveDate,
        to: NaiveDate,
        days: i64,
    },
}

/// The cadence check. `dates` are the days of the body's held and planned
/// meetings (not cancelled ones), in any order; `max_days` is the body's
/// `cadence_max_days`. Warns when the time since the last meeting up to
/// today, or a gap between consecutive meetings from the last one on, is
/// longer than `max_days`.
pub fn cadence_warnings(
    max_days: i64,
    dates: &[NaiveDate],
    today: NaiveDate,
) -> Vec<CadenceWarning> {
    let mut d: Vec<NaiveDate> = dates.to_vec();
    d.sort();
    d.dedup();
    if d.is_empty() {
        return vec![CadenceWarning::NeverMet];
    }
    let mut out = vec![];
    let past: Vec<NaiveDate> = d.iter().copied().filter(|x| *x <= today).collect();
    let future: Vec<NaiveDate> = d.iter().copied().filter(|x| *x > today).collect();
    if let Some(&last) = past.last() {
        let days = (today - last).num_days();
        if days > max_days {
            out.push(CadenceWarning::Overdue { last, days });
        }
    }
    let plan: Vec<NaiveDate> = past.last().copied().into_iter().chain(future).collect();
    for w in plan.windows(2) {
        let days = (w[1] - w[0]).num_days();
        if days > max_days {
            out.push(CadenceWarning::PlannedGap {
                from: w[0],
                to: w[1],
                days,
            });
        }
    }
    out
}

/// The days of a body's meetings that count for its cadence: held and
/// planned ones, not cancelled ones.
pub fn cadence_days<'a>(meetings: impl IntoIterator<Item = &'a Meeting>) -> Vec<NaiveDate> {
    meetings
        .into_iter()
        .filter(|m| m.status != MeetingStatus::Cancelled)
        .map(|m| m.start_local().date())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        super::super::records::parse_local(s).unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn series(first: &str, tz: &str, weeks: i64, until: &str) -> MeetingSeries {
        MeetingSeries {
            body_id: 1,
            title: "Forum".into(),
            first_start: first.into(),
            duration_minutes: 90,
            time_zone: tz.into(),
            interval_weeks: weeks,
            until: day(until),
            place: String::new(),
            online_url: None,
        }
    }

    #[test]
    fn jerusalem_keeps_six_pm_across_both_changes_of_2025() {
        // Israel moved to summer time on Friday 2025-03-28 and back on Sunday
        // 2025-10-26.
        let occ = expand(&series(
            "2025-03-20T18:00",
            "Asia/Jerusalem",
            1,
            "2025-11-06",
        ));
        let at = |d: &str| {
            occ.iter()
                .find(|o| o.original_start.date() == day(d))
                .map(|o| rfc3339(o.start))
                .unwrap()
        };
        assert_eq!(at("2025-03-20"), "2025-03-20T18:00:00+02:00");
        assert_eq!(at("2025-03-27"), "2025-03-27T18:00:00+02:00");
        assert_eq!(at("2025-04-03"), "2025-04-03T18:00:00+03:00");
        assert_eq!(at("2025-10-23"), "2025-10-23T18:00:00+03:00");
        assert_eq!(at("2025-10-30"), "2025-10-30T18:00:00+02:00");
        assert!(
            occ.iter()
                .all(|o| (o.end - o.start) == Duration::minutes(90))
        );
        assert_eq!(occ.last().unwrap().original_start.date(), day("2025-11-06"));
    }

    #[test]
    fn london_and_new_york_in_2026() {
        // London: 2026-03-29 and 2026-10-25; New York: 2026-03-08 and 2026-11-01.
        let london = expand(&series(
            "2026-03-26T09:30",
            "Europe/London",
            1,
            "2026-04-02",
        ));
        let got: Vec<String> = london.iter().map(|o| rfc3339(o.start)).collect();
        assert_eq!(
            got,
            vec!["2026-03-26T09:30:00+00:00", "2026-04-02T09:30:00+01:00"]
        );
        let ny = expand(&series(
            "2026-10-25T19:00",
            "America/New_York",
            1,
            "2026-11-01",
        ));
        let got: Vec<String> = ny.iter().map(|o| rfc3339(o.start)).collect();
        assert_eq!(
            got,
            vec!["2026-10-25T19:00:00-04:00", "2026-11-01T19:00:00-05:00"]
        );
    }

    #[test]
    fn a_time_in_the_gap_takes_the_offset_before_it() {
        // Jerusalem 2026-03-27: 02:00 +02 jumps to 03:00 +03.
        let t = resolve(chrono_tz::Asia::Jerusalem, local("2026-03-27T02:30"));
        assert_eq!(rfc3339(t), "2026-03-27T03:30:00+03:00");
        // New York 2025-03-09: 02:30 does not exist; -05 before the gap.
        let t = resolve(chrono_tz::America::New_York, local("2025-03-09T02:30"));
        assert_eq!(
            t.with_timezone(&Utc).to_rfc3339(),
            "2025-03-09T07:30:00+00:00"
        );
    }

    #[test]
    fn an_ambiguous_time_is_the_earlier_instant() {
        // London 2025-10-26: 01:30 happens at +01 and again at +00.
        let t = resolve(chrono_tz::Europe::London, local("2025-10-26T01:30"));
        assert_eq!(rfc3339(t), "2025-10-26T01:30:00+01:00");
        let t = resolve(chrono_tz::America::New_York, local("2025-11-02T01:30"));
        assert_eq!(rfc3339(t), "2025-11-02T01:30:00-04:00");
    }

    #[test]
    fn fortnightly_until_is_inclusive_and_ends_at_the_last_days_end() {
        let s = series("2025-01-09T18:00", "Asia/Jerusalem", 2, "2025-02-06");
        let days: Vec<NaiveDate> = expand(&s).iter().map(|o| o.original_start.date()).collect();
        assert_eq!(
            days,
            vec![day("2025-01-09"), day("2025-01-23"), day("2025-02-06")]
        );
        assert_eq!(until_instant(&s).to_rfc3339(), "2025-02-06T21:59:59+00:00");
    }

    fn meeting(id: i64, start: &str, status: MeetingStatus) -> Record<Meeting> {
        let s = local(start);
        Record {
            id,
            initiative_id: Some(1),
            version: 1,
            archived: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            data: Meeting {
                body_id: 1,
                title: "Forum".into(),
                starts_at: start.into(),
                ends_at: super::super::records::format_local(s + Duration::minutes(90)),
                time_zone: "Asia/Jerusalem".into(),
                place: String::new(),
                online_url: None,
                status,
            },
        }
    }

    #[test]
    fn rows_apply_skips_and_moves_and_keep_the_original_start() {
        let s = series("2025-03-20T18:00", "Asia/Jerusalem", 1, "2025-04-03");
        let occ = expand(&s);
        let mut feed = FeedData::default();
        feed.series.push(Record {
            id: 7,
            initiative_id: Some(1),
            version: 1,
            archived: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            data: s,
        });
        // The second is skipped, the third moved an hour earlier.
        feed.meetings = vec![
            meeting(1, "2025-03-20T18:00", MeetingStatus::Held),
            meeting(2, "2025-03-27T18:00", MeetingStatus::Cancelled),
            meeting(3, "2025-04-03T17:00", MeetingStatus::Planned),
        ];
        for (m, o) in feed.meetings.iter().zip(&occ) {
            feed.links.insert(m.id, (7, o.original_start));
        }
        let rows = occurrence_rows(&feed);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].status, MeetingStatus::Cancelled);
        assert_eq!(rows[2].start, "2025-04-03T17:00:00+03:00");
        assert_eq!(
            rows[2].original_start.as_deref(),
            Some("2025-04-03T18:00:00+03:00")
        );
        assert_eq!(rows[2].series_id, Some(7));
    }

    #[test]
    fn cadence_warns_when_overdue_and_for_gaps_in_the_plan() {
        let today = day("2025-06-30");
        assert_eq!(
            cadence_warnings(21, &[], today),
            vec![CadenceWarning::NeverMet]
        );
        assert!(cadence_warnings(21, &[day("2025-06-20"), day("2025-07-10")], today).is_empty());
        assert_eq!(
            cadence_warnings(21, &[day("2025-06-01")], today),
            vec![CadenceWarning::Overdue {
                last: day("2025-06-01"),
                days: 29
            }]
        );
        // Exactly the cadence is fine; one day more is a gap.
        assert!(cadence_warnings(21, &[day("2025-06-29"), day("2025-07-20")], today).is_empty());
        assert_eq!(
            cadence_warnings(
                21,
                &[
                    day("2025-06-29"),
                    day("2025-07-20"),
                    day("2025-08-11"),
                    day("2025-01-01")
                ],
                today
            ),
            vec![CadenceWarning::PlannedGap {
                from: day("2025-07-20"),
                to: day("2025-08-11"),
                days: 22
            }]
        );
    }

    #[test]
    fn cancelled_meetings_do_not_count_for_the_cadence() {
        let ms = [
            meeting(1, "2025-06-01T18:00", MeetingStatus::Held).data,
            meeting(2, "2025-06-15T18:00", MeetingStatus::Cancelled).data,
        ];
        assert_eq!(cadence_days(ms.iter()), vec![day("2025-06-01")]);
    }
}
