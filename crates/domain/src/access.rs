//! Roles and what they allow.
//!
//! Roles are granted per initiative; `network_lead` is granted over a network and
//! reaches every initiative in it; a platform `admin` reaches everything. A user who
//! holds no role in an initiative does not learn that it exists (the web layer
//! answers 404), apart from its public portal.

use serde::{Deserialize, Serialize};

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

/// What someone may try to do within one initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the initiative's pages and records (not personal case data).
    Read,
    /// Create, edit and archive partnership records.
    EditPartnership,
    /// Read the audit log.
    ReadAudit,
    /// Grant roles and send invitations.
    ManageAccess,
}

/// Who is asking, as far as one initiative is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub admin: bool,
    /// Lead of the network this initiative belongs to.
    pub network_lead: bool,
    pub roles: Vec<Role>,
}

impl Grants {
    pub fn can_see(&self) -> bool {
        self.admin || self.network_lead || !self.roles.is_empty()
    }

    pub fn allows(&self, action: Action) -> bool {
        if self.admin {
            return true;
        }
        let coordinator = self.roles.contains(&Role::Coordinator);
        match action {
            Action::Read => self.can_see(),
            Action::EditPartnership | Action::ManageAccess | Action::ReadAudit => coordinator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_reads_but_never_writes() {
        let g = Grants {
            roles: vec![Role::Viewer],
            ..Default::default()
        };
        assert!(g.allows(Action::Read));
        assert!(!g.allows(Action::EditPartnership));
        assert!(!g.allows(Action::ReadAudit));
    }

    #[test]
    fn no_role_sees_nothing() {
        let g = Grants::default();
        assert!(!g.can_see());
        assert!(!g.allows(Action::Read));
    }

    #[test]
    fn coordinator_and_admin_edit() {
        assert!(
            Grants {
                roles: vec![Role::Coordinator],
                ..Default::default()
            }
            .allows(Action::EditPartnership)
        );
        assert!(
            Grants {
                admin: true,
                ..Default::default()
            }
            .allows(Action::ManageAccess)
        );
        let lead = Grants {
            network_lead: true,
            ..Default::default()
        };
        assert!(lead.allows(Action::Read) && !lead.allows(Action::EditPartnership));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
    }
}
