//! Backbone's domain: the rules of a collective impact partnership, free of I/O.
//!
//! Every capability is a module here with the same name it has in `store` and `web`.
//! Nothing in this crate touches a database, the network or the clock of a server:
//! values come in, decisions come out, and each rule is unit-tested on its own.
//!
//! Layout:
//! - [`validation`]: the field-level parsing every form and API body goes through
//!   ("parse, don't validate": a value that exists is valid).
//! - [`resource`]: what the generic store needs to know about a resource kind
//!   (its columns and references) so that create/update/archive, versioning and the
//!   audit log are written once.
//! - [`partnership`]: networks, initiatives, organizations, people, governing bodies,
//!   memberships, services and locations; the "who is at the table" view.
//! - [`access`]: roles per initiative and what each may do.
//! - [`agenda`]: vision, objectives, ideas, prioritisation rounds, the systems map, work plans.
//! - [`funding`]: commitments, the open book, funding transitions, the investment fund.
//! - [`measurement`]: indicators, periods, values and the rules behind every figure.
//! - [`cases`]: by-name lists, status events, monthly reports, functional zero, referrals.
//! - [`meetings`]: meetings of bodies, agendas, attendance, minutes, decisions, action items.
//! - [`sdg`]: the UN Sustainable Development Goals' targets and indicators.

/// A closed list of stable snake_case codes, translated by the UI.
macro_rules! choices {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            /// The code, or the spelling the JSON API answers with (snake_case), so a
            /// record read from the API can be sent back as it is.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ if !s.contains(' ') => serde_json::from_value(serde_json::Value::String(s.into())).ok(),
                    _ => None,
                }
            }
        }
    };
}

pub mod access;
pub mod agenda;
pub mod cases;
pub mod edits;
pub mod funding;
pub mod measurement;
pub mod meetings;
pub mod partnership;
pub mod resource;
pub mod sdg;
pub mod translations;
pub mod validation;
