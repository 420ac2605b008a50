//! Who may do what: one policy for every page, API route and export.
//!
//! Roles are granted per initiative; `network_lead` is granted over a network and
//! reaches every initiative in it; a platform `admin` reaches everything. A user who
//! holds no role in an initiative does not learn that it exists (the web layer
//! answers 404), apart from what its coordinators made public on its portal.
//!
//! [`decide`] is the one place that answers "may these grants do this action on
//! this kind of record, and see or change this field?". Handlers reach an
//! initiative's data only through that decision (see `web::access`), and the
//! access matrix test drives every route with every role against it.

use serde::{Deserialize, Serialize};

use crate::resource::{Class, Resource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Coordinator,
    Partner,
    Resident,
    Funder,
    CaseWorker,
    Viewer,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Coordinator,
        Role::Partner,
        Role::Resident,
        Role::Funder,
        Role::CaseWorker,
        Role::Viewer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Partner => "partner",
            Role::Resident => "resident",
            Role::Funder => "funder",
            Role::CaseWorker => "case_worker",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

/// What someone may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See a record (its fields are decided one by one).
    Read,
    Create,
    /// Change a record (its fields are decided one by one).
    Update,
    Archive,
    Restore,
    /// Read the audit log of an initiative.
    ReadAudit,
    /// Grant and revoke roles, send and withdraw invitations.
    ManageAccess,
    /// Take part in the agenda: suggest an idea, vote in a round, answer the
    /// questions of a systems map.
    Participate,
    /// Report measured values (forms, files, the API): the partners who hold
    /// the data and the coordinators.
    Report,
    /// See a measured cell that counts fewer people than the small-cell
    /// minimum: coordinators only (everyone else sees it suppressed).
    SeeSmallCells,
    /// Work the by-name lists: see people by name and their personal fields,
    /// record their events, import, conference on cases, refer. Case workers
    /// and coordinators only; everyone else sees counts.
    CaseWork,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Archive,
        Action::Restore,
        Action::ReadAudit,
        Action::ManageAccess,
        Action::Participate,
        Action::Report,
        Action::SeeSmallCells,
        Action::CaseWork,
    ];
    pub fn writes(self) -> bool {
        !matches!(self, Action::Read | Action::ReadAudit)
    }
}

/// The answer of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The record may be read, this field may not: it is left out (null).
    Redact,
    /// The caller may see the initiative but not do this: 403.
    Forbidden,
    /// The caller does not learn that the initiative exists: 404.
    Hidden,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Who is asking, as far as one initiative is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub admin: bool,
    /// Lead of the network this initiative belongs to.
    pub network_lead: bool,
    pub roles: Vec<Role>,
    /// The organizations of this initiative the caller speaks for as a
    /// `partner` (see [`decide_owned`]).
    pub organizations: Vec<i64>,
}

impl Grants {
    /// A platform admin (outside any initiative: networks, new initiatives).
    pub fn platform(admin: bool) -> Grants {
        Grants {
            admin,
            ..Default::default()
        }
    }

    pub fn can_see(&self) -> bool {
        self.admin || self.network_lead || !self.roles.is_empty()
    }

    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// A whole-record decision on the initiative's registry records.
    pub fn allows(&self, action: Action) -> bool {
        self.allows_on(action, "registry")
    }

    /// A whole-record decision (no particular field) on one kind.
    pub fn allows_on(&self, action: Action, kind: &str) -> bool {
        decide(self, action, kind, Class::Ordinary).allowed()
    }
}

/// Kinds that exist outside any one initiative and that only an admin creates,
/// changes or archives (reading them follows the initiatives they hold).
pub const PLATFORM_KINDS: &[&str] = &["network"];

/// The policy. `kind` is a record kind (`Resource::KIND`), `class` the class of
/// the field at stake (`Class::Ordinary` for the record as a whole).
///
/// The rules, in order:
/// 1. An admin may do everything.
/// 2. Without a role in the initiative and without leading its network, nothing
///    about it is revealed (`Hidden`).
/// 3. Reading: every role and the network lead read the registry; a person's
///    contact details and what someone is paid are for the coordinators who run
///    the registry, and redacted for everyone else.
/// 4. Taking part in the agenda (ideas, votes, systems-map answers) is for every
///    role but `viewer`: partners, residents, funders and case workers are the
///    people whose priorities a round collects. A network lead watches.
/// 5. Reporting measured values is for partners (who hold the data) and
///    coordinators. Cells counting fewer people than the small-cell minimum are
///    for coordinators; everyone else sees them suppressed.
/// 6. Working the by-name lists (names, personal fields, events, referrals)
///    is for case workers and coordinators; everyone else sees counts. A
///    network lead sees no person.
/// 7. Writing the registry, reading the audit log and managing access are for
///    coordinators. Creating, archiving and restoring initiatives and anything
///    about networks is for admins; so is a field of class `Placement` (which
///    network an initiative belongs to decides which network lead reads it).
/// 8. A partner keeps its own entries: a `partner` who speaks for an
///    organization (the coordinator named it when inviting them) may edit that
///    organization, and create and edit its services and locations — nothing
///    else, and no archiving, restoring or merging. This rule needs the record's
///    owner, so it is decided by [`decide_owned`] (per record) and
///    [`decide_any`] (whether some record could be theirs); `decide` itself,
///    which knows no record, keeps such writes for coordinators.
pub fn decide(g: &Grants, action: Action, kind: &str, class: Class) -> Decision {
    if g.admin {
        return Decision::Allow;
    }
    let platform = PLATFORM_KINDS.contains(&kind);
    // Networks, and initiatives as a whole, are the platform's to create and
    // archive: saying so reveals nothing about any one initiative.
    let platform_write = match action {
        Action::Read
        | Action::ReadAudit
        | Action::ManageAccess
        | Action::Participate
        | Action::Report
        | Action::SeeSmallCells
        | Action::CaseWork => false,
        Action::Update | Action::Archive | Action::Restore => platform,
        Action::Create => platform || kind == "initiative",
    };
    if platform_write {
        return Decision::Forbidden;
    }
    if !g.can_see() {
        return Decision::Hidden;
    }
    // One initiative is archived or restored by an admin; those who may not see
    // it learn nothing (above), those who may are refused.
    if kind == "initiative" && matches!(action, Action::Archive | Action::Restore) {
        return Decision::Forbidden;
    }
    let coordinator = g.has(Role::Coordinator);
    match action {
        Action::Read => match class {
            Class::Ordinary | Class::Placement => Decision::Allow,
            Class::Contact | Class::Pay if coordinator => Decision::Allow,
            Class::Contact | Class::Pay => Decision::Redact,
        },
        _ if class == Class::Placement => Decision::Forbidden,
        Action::Participate => {
            if g.roles.iter().any(|r| *r != Role::Viewer) {
                Decision::Allow
            } else {
                Decision::Forbidden
            }
        }
        Action::Report => {
            if coordinator || g.has(Role::Partner) {
                Decision::Allow
            } else {
                Decision::Forbidden
            }
        }
        Action::CaseWork => {
            if coordinator || g.has(Role::CaseWorker) {
                Decision::Allow
            } else {
                Decision::Forbidden
            }
        }
        Action::Create
        | Action::Update
        | Action::Archive
        | Action::Restore
        | Action::ReadAudit
        | Action::ManageAccess
        | Action::SeeSmallCells => {
            if coordinator {
                Decision::Allow
            } else {
                Decision::Forbidden
            }
        }
    }
}

/// The decision for a whole record, without a field.
pub fn decide_record(g: &Grants, action: Action, kind: &str) -> Decision {
    decide(g, action, kind, Class::Ordinary)
}

/// What a partner may do to the entries of the organizations it speaks for
/// (rule 8): edit the organization itself, create and edit its services and
/// locations.
pub fn partner_keeps(action: Action, kind: &str) -> bool {
    matches!(
        (action, kind),
        (Action::Update, "organization")
            | (Action::Create | Action::Update, "service" | "location")
    )
}

/// The decision for one record whose owner is known: `owner` is the
/// organization the record belongs to (`Resource::owner`), `None` when it
/// belongs to none. Whatever [`decide`] allows stays allowed; a partner may in
/// addition do what [`partner_keeps`] names to a record owned by an
/// organization it speaks for. A change must be allowed both for the record as
/// stored and as submitted, so an entry cannot be moved to another organization.
pub fn decide_owned(g: &Grants, action: Action, kind: &str, owner: Option<i64>) -> Decision {
    let d = decide_record(g, action, kind);
    if d != Decision::Forbidden {
        return d;
    }
    match owner {
        Some(o)
            if g.has(Role::Partner)
                && partner_keeps(action, kind)
                && g.organizations.contains(&o) =>
        {
            Decision::Allow
        }
        _ => d,
    }
}

/// Whether `action` on some record of `kind` could be allowed, before the
/// record is known: a form for a new service, a route that reads the record
/// it changes. A partner who speaks for an organization is let through for
/// what [`partner_keeps`] names; each record is then decided by
/// [`decide_owned`].
pub fn decide_any(g: &Grants, action: Action, kind: &str) -> Decision {
    let d = decide_record(g, action, kind);
    if d == Decision::Forbidden
        && g.has(Role::Partner)
        && partner_keeps(action, kind)
        && !g.organizations.is_empty()
    {
        return Decision::Allow;
    }
    d
}

/// Blank every field of `value` the grants may not read. Redaction happens here
/// and only here, for pages, API responses, exports and error bodies alike.
pub fn redact<T: Resource>(g: &Grants, value: T) -> T {
    let hides =
        |c: &crate::resource::Column| decide(g, Action::Read, T::KIND, c.class) != Decision::Allow;
    if !T::columns().iter().any(hides) {
        return value;
    }
    let mut json = serde_json::to_value(&value).expect("a record serializes");
    redact_json::<T>(g, &mut json);
    serde_json::from_value(json)
        .expect("a redacted record deserializes: guarded fields are optional")
}

/// [`redact`] on the JSON form of a record (e.g. the current values in a 409).
pub fn redact_json<T: Resource>(g: &Grants, json: &mut serde_json::Value) {
    if let serde_json::Value::Object(obj) = json {
        for c in T::columns() {
            if decide(g, Action::Read, T::KIND, c.class) != Decision::Allow
                && let Some(v) = obj.get_mut(c.name)
            {
                *v = serde_json::Value::Null;
            }
        }
    }
}

/// Fields of `submitted` that the grants may not change but that differ from
/// `current` (an absent field keeps its current value). Empty when the write
/// may go ahead.
pub fn forbidden_changes<T: Resource>(
    g: &Grants,
    action: Action,
    current: Option<&crate::validation::FieldMap>,
    submitted: &crate::validation::FieldMap,
) -> Vec<&'static str> {
    T::columns()
        .iter()
        .filter(|c| c.class != Class::Ordinary)
        .filter(|c| decide(g, action, T::KIND, c.class) != Decision::Allow)
        .filter(|c| {
            let sent = submitted.get(c.name).map(String::as_str);
            let now = current.and_then(|m| m.get(c.name)).map(String::as_str);
            match sent {
                None => false,
                Some(s) => s != now.unwrap_or(""),
            }
        })
        .map(|c| c.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;

    fn role(r: Role) -> Grants {
        Grants {
            roles: vec![r],
            ..Default::default()
        }
    }
    fn lead() -> Grants {
        Grants {
            network_lead: true,
            ..Default::default()
        }
    }

    /// The policy as a table: (who, action, kind, class, decision).
    #[rustfmt::skip]
    #[test]
    fn policy_table() {
        let admin = Grants::platform(true);
        let nobody = Grants::default();
        let coord = role(Role::Coordinator);
        let cases: Vec<(&str, Grants, Action, &str, Class, Decision)> = vec![
            ("admin reads contact", admin.clone(), Action::Read, "person", Class::Contact, Allow),
            ("admin moves network", admin.clone(), Action::Update, "initiative", Class::Placement, Allow),
            ("admin creates network", admin.clone(), Action::Create, "network", Class::Ordinary, Allow),
            ("nobody reads", nobody.clone(), Action::Read, "organization", Class::Ordinary, Hidden),
            ("nobody writes", nobody.clone(), Action::Create, "organization", Class::Ordinary, Hidden),
            ("nobody creates network", nobody.clone(), Action::Create, "network", Class::Ordinary, Forbidden),
            ("nobody creates initiative", nobody.clone(), Action::Create, "initiative", Class::Ordinary, Forbidden),
            ("nobody archives initiative", nobody.clone(), Action::Archive, "initiative", Class::Ordinary, Hidden),
            ("lead archives initiative", lead(), Action::Archive, "initiative", Class::Ordinary, Forbidden),
            ("nobody audit", nobody.clone(), Action::ReadAudit, "initiative", Class::Ordinary, Hidden),
            ("coordinator reads contact", coord.clone(), Action::Read, "person", Class::Contact, Allow),
            ("coordinator reads pay", coord.clone(), Action::Read, "membership", Class::Pay, Allow),
            ("coordinator edits", coord.clone(), Action::Update, "organization", Class::Ordinary, Allow),
            ("coordinator archives", coord.clone(), Action::Archive, "person", Class::Ordinary, Allow),
            ("coordinator restores", coord.clone(), Action::Restore, "person", Class::Ordinary, Allow),
            ("coordinator writes pay", coord.clone(), Action::Update, "membership", Class::Pay, Allow),
            ("coordinator audit", coord.clone(), Action::ReadAudit, "initiative", Class::Ordinary, Allow),
            ("coordinator access", coord.clone(), Action::ManageAccess, "initiative", Class::Ordinary, Allow),
            ("coordinator edits initiative", coord.clone(), Action::Update, "initiative", Class::Ordinary, Allow),
            ("coordinator moves network", coord.clone(), Action::Update, "initiative", Class::Placement, Forbidden),
            ("coordinator archives initiative", coord.clone(), Action::Archive, "initiative", Class::Ordinary, Forbidden),
            ("coordinator creates network", coord.clone(), Action::Create, "network", Class::Ordinary, Forbidden),
            ("lead reads", lead(), Action::Read, "body", Class::Ordinary, Allow),
            ("lead contact", lead(), Action::Read, "person", Class::Contact, Redact),
            ("lead writes", lead(), Action::Update, "body", Class::Ordinary, Forbidden),
            ("lead audit", lead(), Action::ReadAudit, "initiative", Class::Ordinary, Forbidden),
            ("coordinator takes part", coord.clone(), Action::Participate, "initiative", Class::Ordinary, Allow),
            ("lead does not vote", lead(), Action::Participate, "initiative", Class::Ordinary, Forbidden),
            ("viewer does not vote", role(Role::Viewer), Action::Participate, "initiative", Class::Ordinary, Forbidden),
            ("nobody votes", nobody.clone(), Action::Participate, "initiative", Class::Ordinary, Hidden),
            ("coordinator reports", coord.clone(), Action::Report, "indicator", Class::Ordinary, Allow),
            ("partner reports", role(Role::Partner), Action::Report, "indicator", Class::Ordinary, Allow),
            ("resident does not report", role(Role::Resident), Action::Report, "indicator", Class::Ordinary, Forbidden),
            ("lead does not report", lead(), Action::Report, "indicator", Class::Ordinary, Forbidden),
            ("coordinator sees small cells", coord.clone(), Action::SeeSmallCells, "indicator", Class::Ordinary, Allow),
            ("partner does not", role(Role::Partner), Action::SeeSmallCells, "indicator", Class::Ordinary, Forbidden),
            ("lead does not", lead(), Action::SeeSmallCells, "indicator", Class::Ordinary, Forbidden),
            ("nobody reports", nobody.clone(), Action::Report, "indicator", Class::Ordinary, Hidden),
            ("coordinator works cases", coord.clone(), Action::CaseWork, "case_person", Class::Ordinary, Allow),
            ("case worker works cases", role(Role::CaseWorker), Action::CaseWork, "case_person", Class::Ordinary, Allow),
            ("partner sees no person", role(Role::Partner), Action::CaseWork, "case_person", Class::Ordinary, Forbidden),
            ("viewer sees no person", role(Role::Viewer), Action::CaseWork, "case_person", Class::Ordinary, Forbidden),
            ("lead sees no person", lead(), Action::CaseWork, "case_person", Class::Ordinary, Forbidden),
            ("nobody works cases", nobody.clone(), Action::CaseWork, "case_person", Class::Ordinary, Hidden),
        ];
        let mut rows = cases;
        for r in [Role::Partner, Role::Resident, Role::Funder, Role::CaseWorker, Role::Viewer] {
            rows.push(("member reads", role(r), Action::Read, "organization", Class::Ordinary, Allow));
            rows.push(("member contact", role(r), Action::Read, "person", Class::Contact, Redact));
            rows.push(("member pay", role(r), Action::Read, "membership", Class::Pay, Redact));
            rows.push(("member placement", role(r), Action::Read, "initiative", Class::Placement, Allow));
            for a in [Action::Create, Action::Update, Action::Archive, Action::Restore, Action::ReadAudit, Action::ManageAccess] {
                rows.push(("member writes", role(r), a, "organization", Class::Ordinary, Forbidden));
            }
            if r != Role::Viewer {
                rows.push(("member takes part", role(r), Action::Participate, "initiative", Class::Ordinary, Allow));
            }
        }
        for (what, g, action, kind, class, want) in rows {
            assert_eq!(decide(&g, action, kind, class), want, "{what}: {g:?} {action:?} {kind} {class:?}");
        }
    }

    #[test]
    fn every_action_hidden_from_strangers_and_open_to_admins() {
        for a in Action::ALL {
            for class in [
                Class::Ordinary,
                Class::Contact,
                Class::Pay,
                Class::Placement,
            ] {
                assert_eq!(decide(&Grants::default(), *a, "person", class), Hidden);
                assert_eq!(
                    decide(&Grants::default(), *a, "organization", class),
                    Hidden
                );
                assert_eq!(decide(&Grants::platform(true), *a, "person", class), Allow);
            }
        }
    }

    fn partner_of(orgs: &[i64]) -> Grants {
        Grants {
            roles: vec![Role::Partner],
            organizations: orgs.to_vec(),
            ..Default::default()
        }
    }

    /// (what, who, action, kind, owner, decision).
    type OwnedCase = (
        &'static str,
        Grants,
        Action,
        &'static str,
        Option<i64>,
        Decision,
    );

    /// Rule 8 as a table: (who, action, kind, owner, decision).
    #[rustfmt::skip]
    #[test]
    fn partners_keep_their_own_entries() {
        let p = partner_of(&[7]);
        let coord = role(Role::Coordinator);
        let rows: Vec<OwnedCase> = vec![
            ("edits its organization", p.clone(), Action::Update, "organization", Some(7), Allow),
            ("not another organization", p.clone(), Action::Update, "organization", Some(8), Forbidden),
            ("creates no organization", p.clone(), Action::Create, "organization", Some(7), Forbidden),
            ("creates its service", p.clone(), Action::Create, "service", Some(7), Allow),
            ("edits its service", p.clone(), Action::Update, "service", Some(7), Allow),
            ("not another's service", p.clone(), Action::Update, "service", Some(8), Forbidden),
            ("not a service of nobody", p.clone(), Action::Create, "service", None, Forbidden),
            ("creates its location", p.clone(), Action::Create, "location", Some(7), Allow),
            ("edits its location", p.clone(), Action::Update, "location", Some(7), Allow),
            ("not another's location", p.clone(), Action::Create, "location", Some(8), Forbidden),
            ("archives nothing", p.clone(), Action::Archive, "service", Some(7), Forbidden),
            ("restores nothing", p.clone(), Action::Restore, "organization", Some(7), Forbidden),
            ("no other kind", p.clone(), Action::Update, "body", Some(7), Forbidden),
            ("no other kind created", p.clone(), Action::Create, "funder", Some(7), Forbidden),
            ("no audit", p.clone(), Action::ReadAudit, "initiative", Some(7), Forbidden),
            ("reads as before", p.clone(), Action::Read, "service", Some(8), Allow),
            ("a partner of none", partner_of(&[]), Action::Update, "organization", Some(7), Forbidden),
            ("organizations without the role", Grants { roles: vec![Role::Viewer], organizations: vec![7], ..Default::default() }, Action::Update, "organization", Some(7), Forbidden),
            ("a stranger learns nothing", Grants { organizations: vec![7], ..Default::default() }, Action::Update, "organization", Some(7), Hidden),
            ("coordinator edits any", coord.clone(), Action::Update, "service", Some(8), Allow),
            ("coordinator edits none's", coord.clone(), Action::Update, "service", None, Allow),
            ("coordinator archives", coord.clone(), Action::Archive, "service", Some(8), Allow),
        ];
        for (what, g, action, kind, owner, want) in rows {
            assert_eq!(decide_owned(&g, action, kind, owner), want, "{what}: {g:?} {action:?} {kind} {owner:?}");
        }
        // Before the record is known.
        assert_eq!(decide_any(&p, Action::Create, "service"), Allow);
        assert_eq!(decide_any(&p, Action::Update, "organization"), Allow);
        assert_eq!(decide_any(&p, Action::Create, "organization"), Forbidden);
        assert_eq!(decide_any(&p, Action::Archive, "location"), Forbidden);
        assert_eq!(decide_any(&p, Action::Update, "person"), Forbidden);
        assert_eq!(decide_any(&partner_of(&[]), Action::Update, "service"), Forbidden);
        assert_eq!(decide_any(&Grants::default(), Action::Update, "service"), Hidden);
        // `decide`, which knows no record, is unchanged for a partner.
        assert_eq!(decide_record(&p, Action::Update, "organization"), Forbidden);
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
    }
}
