//! Who someone is in the ward's work; the forms they may file and the pages they see follow from it.
//! Depends on nothing else in `domain`, so forms, validation and the API can all name it.

use serde::{Deserialize, Serialize};

/// A user's role.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// Provincial police staff (Công an tỉnh / thành phố): read every ward and commune of their
    /// province (dashboard, queue, exports) and change nothing.
    Provincial,
    Supervisor,
    Officer,
    GroupLeader,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Provincial,
        Role::Supervisor,
        Role::Officer,
        Role::GroupLeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Provincial => "provincial",
            Role::Supervisor => "supervisor",
            Role::Officer => "officer",
            Role::GroupLeader => "group_leader",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Supervisors and officers review the records of their ward (never their own: see
    /// `review`); group leaders and administrators review nothing.
    pub fn reviews(self) -> bool {
        matches!(self, Role::Supervisor | Role::Officer)
    }

    /// Supervisors and administrators work at a desk: their devices keep the desk app cached.
    /// Officers and group leaders are phone users (an officer opens a desk page now and then,
    /// and loads it only then).
    pub fn uses_desk(self) -> bool {
        matches!(self, Role::Admin | Role::Provincial | Role::Supervisor)
    }
}
