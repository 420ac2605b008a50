//! Status events and the spells they form.
//!
//! Events are append-only. A correction is a new event that `supersedes` an
//! earlier one; a [`EventKind::Void`] correction only cancels it. At a cut-off,
//! the events that count are those recorded by then and not superseded by an
//! event recorded by then ([`effective`]).
//!
//! The effective events of one person on one list are replayed in order of
//! `occurred_on`, activity (identified, contact) before ending events on the
//! same day, then in the order they were recorded ([`spells`]):
//! - `identified` starts an active spell; its inflow type is `newly_identified`
//!   when the person had no earlier spell on this list, `returned_from_housing`
//!   when the previous spell ended `housed`, `returned_from_inactive` otherwise;
//! - `contact` records contact during a spell;
//! - `housed`, `inactive` and `no_longer_meets_criteria` end it.
//!
//! An event that does not fit (identified while active, contact or an ending
//! while not active) is a [`Misfit`]. A spell is chronic when any of its
//! activity events is marked chronic.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

choices!(
    /// What a status event says.
    EventKind {
        Identified = "identified",
        Contact = "contact",
        Housed = "housed",
        Inactive = "inactive",
        NoLongerMeetsCriteria = "no_longer_meets_criteria",
        Void = "void",
    }
);

impl EventKind {
    /// Identified and contact: the person was seen, the spell goes on.
    pub fn is_activity(self) -> bool {
        matches!(self, EventKind::Identified | EventKind::Contact)
    }
    /// Housed, inactive, no longer meets criteria: the spell ends.
    pub fn is_ending(self) -> bool {
        matches!(
            self,
            EventKind::Housed | EventKind::Inactive | EventKind::NoLongerMeetsCriteria
        )
    }
    /// Same-day order: activity first, then ending events.
    fn rank(self) -> u8 {
        if self.is_activity() { 0 } else { 1 }
    }
}

choices!(
    /// How an `identified` event entered the list.
    Inflow {
        NewlyIdentified = "newly_identified",
        ReturnedFromHousing = "returned_from_housing",
        ReturnedFromInactive = "returned_from_inactive",
    }
);

choices!(
    /// Where a status event came from.
    Source {
        Manual = "manual",
        Hmis = "hmis",
        Inactivity = "inactivity",
    }
);

/// A status event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub occurred_on: NaiveDate,
    pub kind: EventKind,
    /// The enrollment or assessment behind this activity meets the chronic rule.
    pub chronic: bool,
    pub recorded_at: DateTime<Utc>,
    /// The earlier event this one corrects.
    pub supersedes: Option<i64>,
}

/// One spell on the list: from `identified` to an ending event (or still active).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spell {
    pub start: NaiveDate,
    pub inflow: Inflow,
    /// The ending event's date and kind; `None` while the spell is active.
    pub end: Option<(NaiveDate, EventKind)>,
    /// The latest identified or contact date in the spell.
    pub last_activity: NaiveDate,
    pub chronic: bool,
}

impl Spell {
    pub fn is_active(&self) -> bool {
        self.end.is_none()
    }
    /// Whether the person is on the list at the end of `day`.
    pub fn active_at_end_of(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|(end, _)| end > day)
    }
    /// Days from identification to the end of the spell (0 for a same-day spell).
    pub fn days(&self) -> Option<i64> {
        self.end.map(|(end, _)| (end - self.start).num_days())
    }
}

/// An event that does not fit the person's state on its date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Misfit {
    pub event_id: i64,
    pub occurred_on: NaiveDate,
    pub kind: EventKind,
    /// Stable code: `already_active` or `not_active`.
    pub code: &'static str,
    /// Plain words, with dates and kinds only (never a name).
    pub message: String,
}

/// The events that count at `cut_off` (all of them for `None`): recorded by
/// then, not void, and not superseded by an event recorded by then.
pub fn effective(events: &[Event], cut_off: Option<DateTime<Utc>>) -> Vec<Event> {
    let counted = |e: &&Event| cut_off.is_none_or(|c| e.recorded_at <= c);
    let superseded: std::collections::HashSet<i64> = events
        .iter()
        .filter(counted)
        .filter_map(|e| e.supersedes)
        .collect();
    events
        .iter()
        .filter(counted)
        .filter(|e| e.kind != EventKind::Void && !superseded.contains(&e.id))
        .cloned()
        .collect()
}

/// Sort effective events into replay order: date, activity before endings, then
/// the order they were recorded in (ids grow with recording).
pub fn sort(events: &mut [Event]) {
    events.sort_by_key(|e| (e.occurred_on, e.kind.rank(), e.recorded_at, e.id));
}

/// Replay one person's effective events into spells; every event that does not
/// fit is reported (and skipped).
pub fn replay(events: &[Event]) -> (Vec<Spell>, Vec<Misfit>) {
    let mut ordered = events.to_vec();
    sort(&mut ordered);
    let mut spells: Vec<Spell> = vec![];
    let mut misfits = vec![];
    for e in &ordered {
        let open = spells.last_mut().filter(|s| s.is_active());
        match (e.kind, open) {
            (EventKind::Void, _) => {}
            (EventKind::Identified, Some(s)) => misfits.push(Misfit {
                event_id: e.id,
                occurred_on: e.occurred_on,
                kind: e.kind,
                code: "already_active",
                message: format!(
                    "identified on {} while already active (identified on {})",
                    e.occurred_on, s.start
                ),
            }),
            (EventKind::Identified, None) => {
                let inflow = match spells.last().and_then(|s| s.end) {
                    None => Inflow::NewlyIdentified,
                    Some((_, EventKind::Housed)) => Inflow::ReturnedFromHousing,
                    Some(_) => Inflow::ReturnedFromInactive,
                };
                spells.push(Spell {
                    start: e.occurred_on,
                    inflow,
                    end: None,
                    last_activity: e.occurred_on,
                    chronic: e.chronic,
                });
            }
            (EventKind::Contact, Some(s)) => {
                s.last_activity = s.last_activity.max(e.occurred_on);
                s.chronic |= e.chronic;
            }
            (kind, Some(s)) => {
                debug_assert!(kind.is_ending());
                s.end = Some((e.occurred_on, kind));
            }
            (kind, None) => misfits.push(Misfit {
                event_id: e.id,
                occurred_on: e.occurred_on,
                kind,
                code: "not_active",
                message: format!(
                    "{} on {} while not on the list (no active spell then)",
                    kind.as_str(),
                    e.occurred_on
                ),
            }),
        }
    }
    (spells, misfits)
}

/// The spells of one person's events, or the first event that does not fit.
pub fn spells(events: &[Event]) -> Result<Vec<Spell>, Misfit> {
    let (spells, mut misfits) = replay(events);
    if misfits.is_empty() {
        Ok(spells)
    } else {
        Err(misfits.remove(0))
    }
}

/// Whether `new` fits a person's history: every effective event (the new one
/// included, and any it supersedes left out) still fits when replayed. The
/// misfit named is the first one, which may be a later event the new one
/// would strand (a backdated `housed` before an existing `housed`).
pub fn check_fits(history: &[Event], new: &Event) -> Result<Vec<Spell>, Misfit> {
    let mut all = history.to_vec();
    all.push(new.clone());
    spells(&effective(&all, None))
}

/// The inactivity rule: when the person's last spell is active and its last
/// identified/contact date is more than `days` days before `today`, the date of
/// the `inactive` event the daily job writes (last activity + `days`).
pub fn inactive_due(spells: &[Spell], today: NaiveDate, days: u32) -> Option<NaiveDate> {
    let s = spells.last().filter(|s| s.is_active())?;
    let due = s.last_activity + chrono::Duration::days(i64::from(days));
    (today > due).then_some(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> DateTime<Utc> {
        format!("{s}T12:00:00Z").parse().unwrap()
    }
    fn ev(id: i64, on: &str, kind: EventKind) -> Event {
        Event {
            id,
            occurred_on: d(on),
            kind,
            chronic: false,
            recorded_at: t(on),
            supersedes: None,
        }
    }

    #[test]
    fn inflow_types_follow_the_previous_spell() {
        let evs = [
            ev(1, "2025-01-05", Identified),
            ev(2, "2025-02-01", Housed),
            ev(3, "2025-04-01", Identified),
            ev(4, "2025-05-01", Inactive),
            ev(5, "2025-06-01", Identified),
            ev(6, "2025-06-10", NoLongerMeetsCriteria),
            ev(7, "2025-07-01", Identified),
        ];
        let s = spells(&evs).unwrap();
        let inflows: Vec<_> = s.iter().map(|s| s.inflow).collect();
        assert_eq!(
            inflows,
            [
                Inflow::NewlyIdentified,
                Inflow::ReturnedFromHousing,
                Inflow::ReturnedFromInactive,
                Inflow::ReturnedFromInactive,
            ]
        );
        assert!(s[3].is_active());
        assert_eq!(s[0].days(), Some(27));
    }

    #[test]
    fn same_day_activity_comes_before_the_ending() {
        // Recorded housed first, identified second, both on one day: a zero-day spell.
        let mut housed = ev(1, "2025-03-03", Housed);
        housed.recorded_at = t("2025-03-01");
        let evs = [housed, ev(2, "2025-03-03", Identified)];
        let s = spells(&evs).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].days(), Some(0));
        assert!(!s[0].active_at_end_of(d("2025-03-03")));
        assert!(!s[0].active_at_end_of(d("2025-03-02")));
    }

    #[test]
    fn misfits_are_named_by_date_and_kind() {
        let e = spells(&[
            ev(1, "2025-01-01", Identified),
            ev(2, "2025-01-02", Identified),
        ])
        .unwrap_err();
        assert_eq!((e.event_id, e.code), (2, "already_active"));
        assert!(e.message.contains("2025-01-02"), "{}", e.message);
        let e = spells(&[ev(1, "2025-01-01", Housed)]).unwrap_err();
        assert_eq!(e.code, "not_active");
        let e = spells(&[ev(1, "2025-01-01", Contact)]).unwrap_err();
        assert_eq!(e.code, "not_active");
        // Two endings on one day: the second finds no active spell.
        let e = spells(&[
            ev(1, "2025-01-01", Identified),
            ev(2, "2025-01-09", Housed),
            ev(3, "2025-01-09", Inactive),
        ])
        .unwrap_err();
        assert_eq!(e.event_id, 3);
    }

    #[test]
    fn a_backdated_ending_that_strands_a_later_one_does_not_fit() {
        let history = [ev(1, "2025-01-01", Identified), ev(2, "2025-03-01", Housed)];
        let e = check_fits(&history, &ev(3, "2025-02-01", Housed)).unwrap_err();
        assert_eq!(e.event_id, 2, "the later housed is stranded");
        // A correction that moves the housing date fits.
        let mut fix = ev(3, "2025-02-01", Housed);
        fix.supersedes = Some(2);
        let s = check_fits(&history, &fix).unwrap();
        assert_eq!(s[0].end, Some((d("2025-02-01"), Housed)));
    }

    #[test]
    fn corrections_count_from_when_they_were_recorded() {
        let mut wrong = ev(2, "2025-02-01", Housed);
        wrong.recorded_at = t("2025-02-01");
        let mut void = ev(3, "2025-02-01", Void);
        void.supersedes = Some(2);
        void.recorded_at = t("2025-03-15");
        let evs = [ev(1, "2025-01-01", Identified), wrong, void];
        let before = effective(&evs, Some(t("2025-03-01")));
        assert_eq!(before.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2]);
        let now = effective(&evs, None);
        assert_eq!(now.iter().map(|e| e.id).collect::<Vec<_>>(), [1]);
        assert!(spells(&now).unwrap()[0].is_active());
        // An event recorded after the cut-off does not count at all.
        let early = effective(&evs, Some(t("2024-12-31")));
        assert!(early.is_empty());
    }

    #[test]
    fn chronic_comes_from_any_activity_in_the_spell() {
        let mut c = ev(2, "2025-01-20", Contact);
        c.chronic = true;
        let s = spells(&[
            ev(1, "2025-01-01", Identified),
            c,
            ev(3, "2025-02-01", Inactive),
        ])
        .unwrap();
        assert!(s[0].chronic);
        assert_eq!(s[0].last_activity, d("2025-01-20"));
    }

    #[test]
    fn inactivity_after_more_than_n_days() {
        let s = spells(&[ev(1, "2025-01-31", Identified)]).unwrap();
        // 90 days after 31 January is 1 May: due only once today is past it.
        assert_eq!(inactive_due(&s, d("2025-05-01"), 90), None);
        assert_eq!(inactive_due(&s, d("2025-05-02"), 90), Some(d("2025-05-01")));
        let ended =
            spells(&[ev(1, "2025-01-01", Identified), ev(2, "2025-01-02", Housed)]).unwrap();
        assert_eq!(inactive_due(&ended, d("2026-01-01"), 90), None);
    }
}
