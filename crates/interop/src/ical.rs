//! Calendar feeds as iCalendar (RFC 5545).
//!
//! A series is one VEVENT whose RRULE repeats it every N weeks until the end
//! of its last day; an occurrence that was skipped (or has no live meeting)
//! is an EXDATE, and one that was moved or changed (title, place, link,
//! agenda) is an overriding VEVENT with the series' UID and a RECURRENCE-ID.
//! A meeting outside any series is a plain VEVENT. Times are local with a
//! TZID naming the IANA zone, and the feed carries one VTIMEZONE per zone,
//! with one observance per change of offset in the span the feed covers, so
//! a client without the zone database reads the same instants.
//!
//! The output depends only on the records: UIDs are stable
//! (`series-<id>@<initiative>.backbone`, `meeting-<id>@<initiative>.backbone`),
//! SEQUENCE is the record's version less one, DTSTAMP its last change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use domain::meetings::records::{Meeting, MeetingStatus};
use domain::meetings::recurrence::{FeedData, expand, resolve, until_instant};
use domain::resource::Record;

const PRODID: &str = "-//Backbone//Meetings//EN";

/// The feed as iCalendar text: CRLF line ends, lines folded at 75 octets.
pub fn write(feed: &FeedData) -> String {
    let mut w = Writer::default();
    w.line("BEGIN:VCALENDAR");
    w.line("VERSION:2.0");
    w.line(&format!("PRODID:{PRODID}"));
    w.line("CALSCALE:GREGORIAN");
    w.line("METHOD:PUBLISH");
    w.line(&format!("X-WR-CALNAME:{}", escape(&feed.name)));

    // Which meeting is which occurrence of which series.
    let by_occurrence: HashMap<(i64, NaiveDateTime), &Record<Meeting>> = feed
        .meetings
        .iter()
        .filter_map(|m| feed.links.get(&m.id).map(|(s, o)| ((*s, *o), m)))
        .collect();
    let mut in_series: HashSet<i64> = HashSet::new();
    let mut spans = Spans::default();
    let mut events = Writer::default();

    for s in &feed.series {
        let tz = s.data.tz();
        let slug = slug(feed, s.initiative_id);
        let uid = format!("series-{}@{slug}.backbone", s.id);
        let occ = expand(&s.data);
        let Some(first) = occ.first() else { continue };
        spans.add(tz, first.start.with_timezone(&Utc));
        spans.add(tz, until_instant(&s.data));
        let first_local = s.data.first_start_local();
        let length = Duration::minutes(s.data.duration_minutes);

        events.line("BEGIN:VEVENT");
        events.line(&format!("UID:{uid}"));
        events.line(&format!("DTSTAMP:{}", utc(s.updated_at)));
        events.line(&format!("SEQUENCE:{}", s.version - 1));
        events.line(&format!(
            "DTSTART;TZID={}:{}",
            tz.name(),
            local(first_local)
        ));
        events.line(&format!(
            "DTEND;TZID={}:{}",
            tz.name(),
            local(first_local + length)
        ));
        events.line(&format!(
            "RRULE:FREQ=WEEKLY;INTERVAL={};BYDAY={};UNTIL={}",
            s.data.interval_weeks,
            byday(first_local.weekday()),
            utc(until_instant(&s.data))
        ));
        let mut overrides = vec![];
        for o in &occ {
            match by_occurrence.get(&(s.id, o.original_start)) {
                Some(m) => {
                    in_series.insert(m.id);
                    if m.data.status == MeetingStatus::Cancelled {
                        events.line(&format!(
                            "EXDATE;TZID={}:{}",
                            tz.name(),
                            local(o.original_start)
                        ));
                    } else {
                        let changed = m.data.start_local() != o.original_start
                            || m.data.end_local() != o.original_start + length
                            || m.data.time_zone != s.data.time_zone
                            || m.data.title != s.data.title
                            || m.data.place != s.data.place
                            || m.data.online_url != s.data.online_url
                            || feed.agendas.get(&m.id).is_some_and(|a| !a.is_empty());
                        if changed {
                            overrides.push((o.original_start, *m));
                        }
                    }
                }
                None => events.line(&format!(
                    "EXDATE;TZID={}:{}",
                    tz.name(),
                    local(o.original_start)
                )),
            }
        }
        event_body(
            &mut events,
            &s.data.title,
            &s.data.place,
            s.data.online_url.as_deref(),
            None,
            "CONFIRMED",
        );
        events.line("END:VEVENT");
        for (original, m) in overrides {
            let mtz = m.data.tz();
            spans.add(mtz, resolve(mtz, m.data.start_local()).with_timezone(&Utc));
            spans.add(mtz, resolve(mtz, m.data.end_local()).with_timezone(&Utc));
            events.line("BEGIN:VEVENT");
            events.line(&format!("UID:{uid}"));
            events.line(&format!(
                "RECURRENCE-ID;TZID={}:{}",
                tz.name(),
                local(original)
            ));
            meeting_event(&mut events, feed, m, mtz);
            events.line("END:VEVENT");
        }
    }

    for m in &feed.meetings {
        if in_series.contains(&m.id) {
            continue;
        }
        let tz = m.data.tz();
        spans.add(tz, resolve(tz, m.data.start_local()).with_timezone(&Utc));
        spans.add(tz, resolve(tz, m.data.end_local()).with_timezone(&Utc));
        events.line("BEGIN:VEVENT");
        events.line(&format!(
            "UID:meeting-{}@{}.backbone",
            m.id,
            slug(feed, m.initiative_id)
        ));
        meeting_event(&mut events, feed, m, tz);
        events.line("END:VEVENT");
    }

    for (name, (from, to)) in &spans.0 {
        let tz: Tz = name.parse().expect("a zone the feed used");
        vtimezone(&mut w, tz, *from, *to);
    }
    w.0.push_str(&events.0);
    w.line("END:VCALENDAR");
    w.0
}

fn meeting_event(w: &mut Writer, feed: &FeedData, m: &Record<Meeting>, tz: Tz) {
    w.line(&format!("DTSTAMP:{}", utc(m.updated_at)));
    w.line(&format!("SEQUENCE:{}", m.version - 1));
    w.line(&format!(
        "DTSTART;TZID={}:{}",
        tz.name(),
        local(m.data.start_local())
    ));
    w.line(&format!(
        "DTEND;TZID={}:{}",
        tz.name(),
        local(m.data.end_local())
    ));
    let agenda = feed.agendas.get(&m.id).filter(|a| !a.is_empty()).map(|a| {
        a.iter()
            .enumerate()
            .map(|(i, t)| format!("{}. {t}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let status = match m.data.status {
        MeetingStatus::Cancelled => "CANCELLED",
        MeetingStatus::Planned | MeetingStatus::Held => "CONFIRMED",
    };
    event_body(
        w,
        &m.data.title,
        &m.data.place,
        m.data.online_url.as_deref(),
        agenda.as_deref(),
        status,
    );
}

fn event_body(
    w: &mut Writer,
    title: &str,
    place: &str,
    url: Option<&str>,
    description: Option<&str>,
    status: &str,
) {
    w.line(&format!("SUMMARY:{}", escape(title)));
    if !place.is_empty() {
        w.line(&format!("LOCATION:{}", escape(place)));
    }
    if let Some(u) = url.filter(|u| !u.is_empty()) {
        w.line(&format!("URL:{}", u.replace(['\r', '\n'], "")));
    }
    if let Some(d) = description {
        w.line(&format!("DESCRIPTION:{}", escape(d)));
    }
    w.line(&format!("STATUS:{status}"));
}

fn slug(feed: &FeedData, initiative: Option<i64>) -> &str {
    initiative
        .and_then(|i| feed.slugs.get(&i))
        .map(String::as_str)
        .unwrap_or("backbone")
}

/// The span of instants the feed uses in each zone.
#[derive(Default)]
struct Spans(BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>);

impl Spans {
    fn add(&mut self, tz: Tz, t: DateTime<Utc>) {
        let e = self.0.entry(tz.name().to_string()).or_insert((t, t));
        e.0 = e.0.min(t);
        e.1 = e.1.max(t);
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Observed {
    offset: FixedOffset,
    dst: bool,
}

fn observed(tz: Tz, t: DateTime<Utc>) -> (Observed, Option<String>) {
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    (
        Observed {
            offset: o.fix(),
            dst: !o.dst_offset().is_zero(),
        },
        o.abbreviation().map(str::to_string),
    )
}

/// The instants in `[from, to]` (a day's margin each side) where the zone's
/// offset changes: probed day by day, then bisected to the minute.
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let start = Utc.from_utc_datetime(&from.date_naive().and_hms_opt(0, 0, 0).expect("midnight"))
        - Duration::days(1);
    let end = to + Duration::days(1);
    let mut out = vec![];
    let mut t = start;
    let mut cur = observed(tz, t).0;
    while t < end {
        let next = t + Duration::days(1);
        let n = observed(tz, next).0;
        if n != cur {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::minutes(1) {
                let mid = lo + Duration::minutes((hi - lo).num_minutes() / 2);
                if observed(tz, mid).0 == cur {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
            cur = n;
        }
        t = next;
    }
    out
}

fn vtimezone(w: &mut Writer, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
    w.line("BEGIN:VTIMEZONE");
    w.line(&format!("TZID:{}", tz.name()));
    // The offset in effect at the start of the span, then each change.
    let begin = Utc.from_utc_datetime(&from.date_naive().and_hms_opt(0, 0, 0).expect("midnight"))
        - Duration::days(1);
    let (first, first_name) = observed(tz, begin);
    observance(
        w,
        shift(begin, first.offset),
        first,
        first,
        first_name.as_deref(),
    );
    let mut prev = first;
    for at in transitions(tz, from, to) {
        let (now, name) = observed(tz, at);
        observance(w, shift(at, prev.offset), prev, now, name.as_deref());
        prev = now;
    }
    w.line("END:VTIMEZONE");
}

fn observance(
    w: &mut Writer,
    local_start: NaiveDateTime,
    from: Observed,
    to: Observed,
    name: Option<&str>,
) {
    let kind = if to.dst { "DAYLIGHT" } else { "STANDARD" };
    w.line(&format!("BEGIN:{kind}"));
    w.line(&format!("DTSTART:{}", local(local_start)));
    w.line(&format!("TZOFFSETFROM:{}", offset(from.offset)));
    w.line(&format!("TZOFFSETTO:{}", offset(to.offset)));
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        w.line(&format!("TZNAME:{}", escape(n)));
    }
    w.line(&format!("END:{kind}"));
}

/// The local time of an instant at an offset.
fn shift(t: DateTime<Utc>, o: FixedOffset) -> NaiveDateTime {
    t.naive_utc() + Duration::seconds(o.local_minus_utc() as i64)
}

fn offset(o: FixedOffset) -> String {
    let s = o.local_minus_utc();
    let sign = if s < 0 { '-' } else { '+' };
    let s = s.abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

fn local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn byday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newline.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Writer(String);

impl Writer {
    /// One content line, folded so no line is longer than 75 octets (a
    /// UTF-8 character is never split), ended by CRLF.
    fn line(&mut self, line: &str) {
        let mut n = 0;
        for c in line.chars() {
            let len = c.len_utf8();
            if n + len > 75 {
                self.0.push_str("\r\n ");
                n = 1;
            }
            self.0.push(c);
            n += len;
        }
        let _ = write!(self.0, "\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::meetings::records::MeetingSeries;

    fn rec<T>(id: i64, version: i64, data: T) -> Record<T> {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
        Record {
            id,
            initiative_id: Some(1),
            version,
            archived: false,
            created_at: at,
            updated_at: at,
            data,
        }
    }

    fn feed() -> FeedData {
        let s = MeetingSeries {
            body_id: 1,
            title: "Steering Committee".into(),
            first_start: "2025-03-20T18:00".into(),
            duration_minutes: 90,
            time_zone: "Asia/Jerusalem".into(),
            interval_weeks: 2,
            until: "2025-04-17".parse().unwrap(),
            place: "City Hall, room 3".into(),
            online_url: None,
        };
        let m = |_id: i64, start: &str, end: &str, status| Meeting {
            body_id: 1,
            title: "Steering Committee".into(),
            starts_at: start.into(),
            ends_at: end.into(),
            time_zone: "Asia/Jerusalem".into(),
            place: "City Hall, room 3".into(),
            online_url: None,
            status,
        };
        let mut f = FeedData {
            name: "Kiryat Malachi; Steering".into(),
            ..Default::default()
        };
        f.series.push(rec(9, 2, s));
        f.meetings = vec![
            rec(
                1,
                1,
                m(
                    1,
                    "2025-03-20T18:00",
                    "2025-03-20T19:30",
                    MeetingStatus::Held,
                ),
            ),
            rec(
                2,
                2,
                m(
                    2,
                    "2025-04-03T18:00",
                    "2025-04-03T19:30",
                    MeetingStatus::Cancelled,
                ),
            ),
            rec(
                3,
                3,
                m(
                    3,
                    "2025-04-17T17:00",
                    "2025-04-17T18:30",
                    MeetingStatus::Planned,
                ),
            ),
            rec(
                4,
                1,
                m(
                    4,
                    "2025-05-01T10:00",
                    "2025-05-01T11:00",
                    MeetingStatus::Planned,
                ),
            ),
        ];
        for (id, o) in [
            (1, "2025-03-20T18:00"),
            (2, "2025-04-03T18:00"),
            (3, "2025-04-17T18:00"),
        ] {
            f.links
                .insert(id, (9, domain::meetings::records::parse_local(o).unwrap()));
        }
        f.slugs.insert(1, "kiryat-malachi".into());
        f
    }

    #[test]
    fn a_series_with_a_skip_and_a_move() {
        let text = write(&feed());
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
        for l in [
            "X-WR-CALNAME:Kiryat Malachi\\; Steering",
            "UID:series-9@kiryat-malachi.backbone",
            "DTSTART;TZID=Asia/Jerusalem:20250320T180000",
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20250417T205959Z",
            "EXDATE;TZID=Asia/Jerusalem:20250403T180000",
            "RECURRENCE-ID;TZID=Asia/Jerusalem:20250417T180000",
            "DTSTART;TZID=Asia/Jerusalem:20250417T170000",
            "SEQUENCE:2",
            "LOCATION:City Hall\\, room 3",
            "UID:meeting-4@kiryat-malachi.backbone",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0300",
            "DTSTART:20250328T020000",
            "TZNAME:IDT",
        ] {
            assert!(text.contains(&format!("{l}\r\n")), "{l} in\n{text}");
        }
        // One VTIMEZONE per zone; one observance to start, one for the change.
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(text.matches("BEGIN:DAYLIGHT").count(), 1);
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1);
        // The held first occurrence is not an override.
        assert_eq!(text.matches("RECURRENCE-ID").count(), 1);
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 3);
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let mut w = Writer::default();
        let title = format!("SUMMARY:{}", "ועדת היגוי – ".repeat(20));
        w.line(&title);
        for l in w.0.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = w.0.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{title}\r\n"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a\\b;c,d\ne\r"), "a\\\\b\\;c\\,d\\ne");
    }

    #[test]
    fn a_zone_without_changes_has_one_standard_observance() {
        let mut w = Writer::default();
        let t = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        vtimezone(&mut w, chrono_tz::Asia::Tokyo, t, t + Duration::days(30));
        assert_eq!(w.0.matches("BEGIN:STANDARD").count(), 1);
        assert!(!w.0.contains("DAYLIGHT"));
        assert!(w.0.contains("TZOFFSETTO:+0900\r\n"));
    }

    #[test]
    fn transitions_are_found_to_the_minute() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
        let got: Vec<String> = transitions(chrono_tz::America::New_York, from, to)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            got,
            vec!["2026-03-08T07:00:00+00:00", "2026-11-01T06:00:00+00:00"]
        );
    }
}
