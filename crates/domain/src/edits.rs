//! Two people editing one record at once: a three-way merge of their edits, so
//! that saving never wipes a colleague's work.
//!
//! Each edit form carries the values its editor saw. When a save arrives after
//! someone else's, every field is judged on its own: a field only one of them
//! changed takes that change; a field both changed to the same value is no
//! conflict; a field both changed differently is the only question to ask.

use std::collections::BTreeMap;

use crate::validation::FieldMap;

/// How one field stands between what the editor saw, what they typed and
/// what is stored now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldState {
    /// Nobody changed it.
    Same,
    /// Only this editor changed it: their value is kept.
    Mine,
    /// Only the other person changed it: the stored value is kept.
    Theirs,
    /// Both changed it to the same value.
    Agreed,
    /// Both changed it, differently: the editor decides.
    Clash,
}

/// The outcome of merging one save into what is stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The values to save (or to show again, when there are clashes): each
    /// field as the rules above say, a clashing field as the editor typed it.
    pub values: FieldMap,
    pub states: BTreeMap<String, FieldState>,
}

impl Merged {
    /// Fields both changed differently, in the given order.
    pub fn clashes(&self) -> Vec<&str> {
        self.states
            .iter()
            .filter(|(_, s)| **s == FieldState::Clash)
            .map(|(f, _)| f.as_str())
            .collect()
    }
}

/// Merge `typed` (submitted over `seen`) into `current`, field by field over
/// `fields`. Values are compared as `normal` makes them (trimmed text; a
/// checkbox's absence is "false").
pub fn merge(
    fields: &[&str],
    seen: &FieldMap,
    typed: &FieldMap,
    current: &FieldMap,
    normal: impl Fn(&str, &str) -> String,
) -> Merged {
    let mut values = FieldMap::new();
    let mut states = BTreeMap::new();
    for &f in fields {
        let get = |m: &FieldMap| normal(f, m.get(f).map(String::as_str).unwrap_or(""));
        let (s, y, c) = (get(seen), get(typed), get(current));
        let state = match (y != s, c != s) {
            (false, false) => FieldState::Same,
            (true, false) => FieldState::Mine,
            (false, true) => FieldState::Theirs,
            (true, true) if y == c => FieldState::Agreed,
            (true, true) => FieldState::Clash,
        };
        let value = match state {
            FieldState::Theirs | FieldState::Same => current.get(f),
            FieldState::Mine | FieldState::Agreed | FieldState::Clash => typed.get(f),
        };
        // Absent is empty: a field the other cleared stays cleared.
        values.insert(f.to_string(), value.cloned().unwrap_or_default());
        states.insert(f.to_string(), state);
    }
    // Fields the form sends that are not compared (a decimal rate beside its
    // stored hundredths) pass through as typed.
    for (k, v) in typed {
        values.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Merged { values, states }
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

    fn trim(_: &str, v: &str) -> String {
        v.trim().to_string()
    }

    #[test]
    fn each_field_keeps_whoever_changed_it() {
        let fields = ["name", "purpose", "min", "max", "public"];
        let seen = map(&[
            ("name", "Forum"),
            ("purpose", "Plans"),
            ("min", "14"),
            ("max", "21"),
            ("public", "false"),
        ]);
        // The other person changed the purpose and min; this editor the name and min.
        let current = map(&[
            ("name", "Forum"),
            ("purpose", "Plans the year"),
            ("min", "7"),
            ("max", "21"),
            ("public", "false"),
        ]);
        let typed = map(&[
            ("name", "Early Years Forum "),
            ("purpose", "Plans"),
            ("min", "10"),
            ("max", "21"),
            ("public", "false"),
        ]);
        let m = merge(&fields, &seen, &typed, &current, trim);
        assert_eq!(m.states["name"], FieldState::Mine);
        assert_eq!(m.states["purpose"], FieldState::Theirs);
        assert_eq!(m.states["min"], FieldState::Clash);
        assert_eq!(m.states["max"], FieldState::Same);
        assert_eq!(m.values["name"], "Early Years Forum ");
        assert_eq!(
            m.values["purpose"], "Plans the year",
            "their change is kept"
        );
        assert_eq!(
            m.values["min"], "10",
            "a clash shows what this editor typed"
        );
        assert_eq!(m.clashes(), vec!["min"]);
    }

    #[test]
    fn the_same_change_by_both_is_no_clash() {
        let fields = ["name"];
        let m = merge(
            &fields,
            &map(&[("name", "A")]),
            &map(&[("name", "B")]),
            &map(&[("name", "B")]),
            trim,
        );
        assert_eq!(m.states["name"], FieldState::Agreed);
        assert!(m.clashes().is_empty());
    }

    #[test]
    fn unchecked_boxes_and_extra_fields() {
        let norm = |f: &str, v: &str| {
            if f == "public" {
                (v == "true").to_string()
            } else {
                v.trim().to_string()
            }
        };
        let fields = ["public"];
        // An unchecked box is not sent; the other person ticked it meanwhile.
        let m = merge(
            &fields,
            &map(&[("public", "false")]),
            &map(&[("rate", "12.50")]),
            &map(&[("public", "true")]),
            norm,
        );
        assert_eq!(m.states["public"], FieldState::Theirs);
        assert_eq!(m.values["public"], "true");
        assert_eq!(
            m.values["rate"], "12.50",
            "fields not compared pass through"
        );
    }
}
