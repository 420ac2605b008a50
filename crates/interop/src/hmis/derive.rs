//! Dated facts of one person → the status events of a by-name list.

use chrono::{Duration, NaiveDate};
use domain::cases::events::EventKind;

use super::DerivedEvent;

/// What an HMIS record says happened on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The person was seen homeless (entry, service, current living situation).
    Activity { chronic: bool },
    /// The person moved into housing (move-in, or exit to a permanent destination).
    Housed,
}

/// The events for one person's facts.
///
/// Facts are taken day by day; on one day, activity comes before housed, and
/// several activities make one event (chronic if any is). The first activity
/// outside a spell is `identified`, later ones `contact`. A `housed` fact
/// outside a spell is ignored. When the person is active and the next fact is
/// more than `inactivity_days` after the last activity, an `inactive` event
/// dated last activity + `inactivity_days` comes first; the same holds at the
/// end for `export_end`.
pub fn derive(
    facts: &[(NaiveDate, Fact)],
    export_end: NaiveDate,
    inactivity_days: u32,
) -> Vec<DerivedEvent> {
    let n = Duration::days(i64::from(inactivity_days));
    let mut sorted = facts.to_vec();
    sorted.sort_by_key(|(d, _)| *d);
    let mut out = vec![];
    let mut last_activity: Option<NaiveDate> = None; // Some while active
    let ev = |occurred_on, kind, chronic| DerivedEvent {
        occurred_on,
        kind,
        chronic,
    };
    for group in sorted.chunk_by(|a, b| a.0 == b.0) {
        let day = group[0].0;
        let mut activity: Option<bool> = None;
        let mut housed = false;
        for (_, f) in group {
            match f {
                Fact::Activity { chronic } => activity = Some(activity.unwrap_or(false) | chronic),
                Fact::Housed => housed = true,
            }
        }
        if let Some(last) = last_activity
            && day - last > n
        {
            out.push(ev(last + n, EventKind::Inactive, false));
            last_activity = None;
        }
        if let Some(chronic) = activity {
            let kind = if last_activity.is_some() {
                EventKind::Contact
            } else {
                EventKind::Identified
            };
            out.push(ev(day, kind, chronic));
            last_activity = Some(day);
        }
        if housed && last_activity.is_some() {
            out.push(ev(day, EventKind::Housed, false));
            last_activity = None;
        }
    }
    if let Some(last) = last_activity
        && export_end - last > n
    {
        out.push(ev(last + n, EventKind::Inactive, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn act(on: &str, chronic: bool) -> (NaiveDate, Fact) {
        (d(on), Fact::Activity { chronic })
    }
    fn housed(on: &str) -> (NaiveDate, Fact) {
        (d(on), Fact::Housed)
    }
    fn kinds(evs: &[DerivedEvent]) -> Vec<(String, EventKind, bool)> {
        evs.iter()
            .map(|e| (e.occurred_on.to_string(), e.kind, e.chronic))
            .collect()
    }
    fn k(on: &str, kind: EventKind, chronic: bool) -> (String, EventKind, bool) {
        (on.to_string(), kind, chronic)
    }

    #[test]
    fn same_day_activity_comes_before_housed_and_merges() {
        let evs = derive(
            &[
                housed("2025-01-10"),
                act("2025-01-10", false),
                act("2025-01-10", true),
            ],
            d("2025-01-31"),
            90,
        );
        assert_eq!(
            kinds(&evs),
            [
                k("2025-01-10", Identified, true),
                k("2025-01-10", Housed, false)
            ]
        );
    }

    #[test]
    fn a_gap_of_exactly_n_days_is_not_inactive_but_n_plus_one_is() {
        let evs = derive(
            &[act("2025-01-01", false), act("2025-04-01", false)],
            d("2025-04-02"),
            90,
        );
        assert_eq!(
            kinds(&evs),
            [
                k("2025-01-01", Identified, false),
                k("2025-04-01", Contact, false)
            ]
        );
        let evs = derive(
            &[act("2025-01-01", false), act("2025-04-02", false)],
            d("2025-04-02"),
            90,
        );
        assert_eq!(
            kinds(&evs),
            [
                k("2025-01-01", Identified, false),
                k("2025-04-01", Inactive, false),
                k("2025-04-02", Identified, false)
            ]
        );
        // Up to the export's end: exactly N days stays active, N + 1 does not.
        let evs = derive(&[act("2025-01-01", false)], d("2025-04-01"), 90);
        assert_eq!(evs.len(), 1);
        let evs = derive(&[act("2025-01-01", false)], d("2025-04-02"), 90);
        assert_eq!(kinds(&evs)[1], k("2025-04-01", Inactive, false));
    }

    #[test]
    fn housed_outside_a_spell_is_ignored() {
        let evs = derive(
            &[
                housed("2025-01-01"),
                act("2025-02-01", false),
                housed("2025-02-05"),
                housed("2025-02-06"),
            ],
            d("2025-02-10"),
            90,
        );
        assert_eq!(
            kinds(&evs),
            [
                k("2025-02-01", Identified, false),
                k("2025-02-05", Housed, false)
            ]
        );
    }

    #[test]
    fn activity_after_housed_starts_a_new_spell() {
        let evs = derive(
            &[
                act("2025-01-01", true),
                housed("2025-01-05"),
                act("2025-03-01", false),
            ],
            d("2025-03-10"),
            90,
        );
        assert_eq!(
            kinds(&evs),
            [
                k("2025-01-01", Identified, true),
                k("2025-01-05", Housed, false),
                k("2025-03-01", Identified, false)
            ]
        );
    }
}
