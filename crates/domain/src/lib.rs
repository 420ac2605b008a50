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
//! - [`sdg`]: the UN Sustainable Development Goals' targets and indicators.

pub mod access;
pub mod agenda;
pub mod partnership;
pub mod resource;
pub mod sdg;
pub mod validation;
