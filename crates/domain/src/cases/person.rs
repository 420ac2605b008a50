//! A person on a by-name list: names, date of birth, veteran status, household
//! type, race/ethnicity and gender in the HMIS FY2024 categories, and consent.
//! Populations are filters over people and their spells.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::events::Spell;
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

choices!(
    /// Who the person was with (HMIS household composition).
    HouseholdType {
        Individual = "individual",
        AdultsAndChildren = "adults_and_children",
        ChildrenOnly = "children_only",
    }
);

choices!(
    /// HMIS FY2024 race and ethnicity (3.04); a person may have several.
    Race {
        AmIndAkNative = "am_ind_ak_native",
        Asian = "asian",
        BlackAfAmerican = "black_af_american",
        HispanicLatinaeo = "hispanic_latinaeo",
        MidEastNAfrican = "mid_east_n_african",
        NativeHiPacific = "native_hi_pacific",
        White = "white",
    }
);

choices!(
    /// HMIS FY2024 gender (3.06); a person may have several.
    Gender {
        Woman = "woman",
        Man = "man",
        NonBinary = "non_binary",
        CulturallySpecific = "culturally_specific",
        Transgender = "transgender",
        Questioning = "questioning",
        DifferentIdentity = "different_identity",
    }
);

choices!(
    /// Which people a report or a list view counts.
    Population {
        All = "all",
        Veterans = "veterans",
        Chronic = "chronic",
        Youth = "youth",
        Families = "families",
    }
);

/// A person's fields. Everything but the flags is personal data: only case
/// workers and coordinators of the initiative see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// `None`: not known (HMIS 8, 9, 99).
    pub veteran: Option<bool>,
    pub household_type: Option<HouseholdType>,
    pub race: Vec<Race>,
    pub gender: Vec<Gender>,
    pub consent_on: Option<NaiveDate>,
    pub consent_scope: Option<String>,
    pub consent_expires_on: Option<NaiveDate>,
}

/// The fields of a person that population filters read (no name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub veteran: bool,
    pub family: bool,
    pub date_of_birth: Option<NaiveDate>,
}

impl Person {
    pub fn facts(&self) -> Facts {
        Facts {
            veteran: self.veteran == Some(true),
            family: self.household_type == Some(HouseholdType::AdultsAndChildren),
            date_of_birth: self.date_of_birth,
        }
    }

    /// Read a person from a form or a JSON body. `race` and `gender` are lists
    /// of codes separated by commas (a form sends one field per checked box,
    /// joined by the web layer).
    pub fn parse(input: &FieldMap) -> Result<Person, FieldErrors> {
        let mut p = Parser::new(input);
        let first_name = p.opt_text("first_name", MAX_NAME, false);
        let last_name = p.opt_text("last_name", MAX_NAME, false);
        let date_of_birth = p.opt_date("date_of_birth");
        let veteran = match input.get("veteran").map(|s| s.trim()).unwrap_or("") {
            "" | "unknown" => None,
            "yes" | "true" | "1" => Some(true),
            "no" | "false" | "0" => Some(false),
            _ => {
                p.errors
                    .add("veteran", "invalid", "veteran must be yes, no or unknown");
                None
            }
        };
        let household_type = match input.get("household_type").map(|s| s.trim()) {
            None | Some("") => None,
            Some(_) => p.choice("household_type", HouseholdType::parse),
        };
        let race = codes(input, "race", Race::parse, &mut p.errors);
        let gender = codes(input, "gender", Gender::parse, &mut p.errors);
        let consent_on = p.opt_date("consent_on");
        let consent_scope = p.opt_text("consent_scope", MAX_NAME, false);
        let consent_expires_on = p.opt_date("consent_expires_on");
        if first_name.is_none() && last_name.is_none() {
            p.errors
                .add("last_name", "required", "give a first or a last name");
        }
        if let (Some(on), Some(exp)) = (consent_on, consent_expires_on)
            && exp < on
        {
            p.errors.add(
                "consent_expires_on",
                "before_start",
                "consent cannot expire before it was given",
            );
        }
        let mut errors = p.errors;
        if date_of_birth.is_some_and(|d| d.year() < 1900) {
            errors.add("date_of_birth", "out_of_range", "date of birth before 1900");
        }
        errors.finish(Person {
            first_name,
            last_name,
            date_of_birth,
            veteran,
            household_type,
            race,
            gender,
            consent_on,
            consent_scope,
            consent_expires_on,
        })
    }
}

fn codes<T: Copy + Ord>(
    input: &FieldMap,
    field: &str,
    parse: fn(&str) -> Option<T>,
    errors: &mut FieldErrors,
) -> Vec<T> {
    let mut out = vec![];
    for code in input
        .get(field)
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match parse(code) {
            Some(v) => out.push(v),
            None => errors.add(field, "invalid", format!("unknown {field} code {code:?}")),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

impl Population {
    /// Whether one spell of a person counts in this population: veterans and
    /// families by the person's current fields, chronic by the spell's flag,
    /// youth by age under 25 on the spell's identification date (an unknown date
    /// of birth is not youth).
    pub fn counts(self, person: &Facts, spell: &Spell) -> bool {
        match self {
            Population::All => true,
            Population::Veterans => person.veteran,
            Population::Chronic => spell.chronic,
            Population::Youth => person
                .date_of_birth
                .is_some_and(|b| age_on(b, spell.start) < 25),
            Population::Families => person.family,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::events::Inflow;

    fn spell(start: &str) -> Spell {
        Spell {
            start: start.parse().unwrap(),
            inflow: Inflow::NewlyIdentified,
            end: None,
            last_activity: start.parse().unwrap(),
            chronic: false,
        }
    }

    #[test]
    fn youth_is_under_25_on_the_day_of_identification() {
        let f = Facts {
            date_of_birth: Some("2000-06-15".parse().unwrap()),
            ..Default::default()
        };
        assert!(Population::Youth.counts(&f, &spell("2025-06-14")));
        assert!(!Population::Youth.counts(&f, &spell("2025-06-15")));
        assert!(!Population::Youth.counts(&Facts::default(), &spell("2025-06-14")));
    }

    #[test]
    fn parse_names_each_bad_field() {
        let mut m = FieldMap::new();
        m.insert("veteran".into(), "maybe".into());
        m.insert("race".into(), "white,martian".into());
        m.insert("consent_on".into(), "2025-02-01".into());
        m.insert("consent_expires_on".into(), "2025-01-01".into());
        let e = Person::parse(&m).unwrap_err();
        for f in ["veteran", "race", "last_name", "consent_expires_on"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        // Names never appear in an error message.
        m.clear();
        m.insert("first_name".into(), "Dana".into());
        m.insert("race".into(), "white, asian, white".into());
        m.insert("veteran".into(), "yes".into());
        let p = Person::parse(&m).unwrap();
        assert_eq!(p.race, [Race::Asian, Race::White]);
        assert!(p.facts().veteran);
    }
}
