//! People and places as administrators manage them, sessions as their owners see them, and the
//! audit trail.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::api::WardKind;
use crate::api::{Place, Role};

/// A user as the administration pages show it. Never carries a password or its hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The ward of a supervisor or officer, and of a group leader's group.
    pub ward: Option<Place>,
    /// A group leader's residential group.
    pub group: Option<Place>,
    /// The province of a provincial user.
    #[serde(default)]
    pub province: Option<Place>,
    /// The residential groups an officer is responsible for (none: the whole ward).
    #[serde(default)]
    pub groups: Vec<Place>,
    pub active: bool,
    pub created_at: i64,
    /// Signed-in devices now.
    pub sessions: u32,
}

/// Who a user is and where they work: used to create a user (with `password`) and to edit one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInput {
    /// Lowercase letters, digits, `.`, `_`, `-`; 3 to 32 characters; cannot change later.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Required for supervisors and officers; taken from the group for group leaders.
    #[serde(default)]
    pub ward_id: Option<i64>,
    /// Required for group leaders.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Required for provincial users: the province whose wards and communes they read.
    #[serde(default)]
    pub province_id: Option<i64>,
    /// An officer's groups, all in their ward; empty for the whole ward. Left out when
    /// editing, they stay as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<i64>>,
    /// When creating: the first password (see the password rules). Ignored when editing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// When editing: false deactivates the user and signs out every device, true reactivates;
    /// left out, the user's state stays as it is. Ignored when creating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordInput {
    pub password: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WardView {
    pub id: i64,
    pub name: String,
    /// Phường or xã.
    #[serde(default)]
    pub kind: WardKind,
    /// The former district (none since 1 July 2025, when districts were abolished).
    pub district: String,
    /// The province or centrally-run city.
    pub city: String,
    #[serde(default)]
    pub province_id: i64,
    /// The first instant (ms) the ward no longer exists, merged or split away; none while it
    /// does.
    #[serde(default)]
    pub closed_from: Option<i64>,
    /// Its residential groups now (none once it has closed).
    pub groups: Vec<Place>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardInput {
    pub name: String,
    #[serde(default)]
    pub kind: WardKind,
    /// May be empty: there are no districts since 1 July 2025.
    #[serde(default)]
    pub district: String,
    pub city: String,
}

/// A reorganisation of wards, effective from a date: residential groups move to other wards
/// (with their group leaders and, from then on, their records), and wards left without groups
/// may close, their staff moving to another ward. A merger moves every group of the merged wards
/// into one and closes them; a split moves a ward's groups to several and closes it. Records keep
/// the ward they were filed in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorganisationInput {
    /// The first day of the new arrangement, dd/mm/yyyy in ward time; today or earlier.
    pub effective: String,
    #[serde(default)]
    pub moves: Vec<GroupMove>,
    #[serde(default)]
    pub close: Vec<WardClosure>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMove {
    pub group_id: i64,
    /// The ward it belongs to from the effective date.
    pub ward_id: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardClosure {
    /// A ward that has no groups left once the moves are done.
    pub ward_id: i64,
    /// Where its supervisors and officers go; by default the ward that took most of its groups.
    #[serde(default)]
    pub staff_to: Option<i64>,
}

/// What a reorganisation did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorganisationDone {
    /// Midnight (ward time) of the effective date, ms since the epoch.
    pub effective: i64,
    pub groups_moved: u32,
    /// Moved groups renamed because the ward they joined already had a group of that name:
    /// (group id, new name).
    pub renamed: Vec<(i64, String)>,
    /// Group leaders and staff who moved.
    pub people_moved: u32,
    /// Records whose answering ward changed (each keeps the ward it was filed in).
    pub records_moved: u64,
    pub wards_closed: Vec<i64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameInput {
    pub name: String,
}

/// One signed-in device of the caller.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session for signing it out; not the sign-in token.
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The browser that signed in, as it described itself.
    pub device: String,
    /// The session making this request.
    pub current: bool,
}

/// One entry of the append-only audit trail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor: Option<String>,
    /// What happened: `record.create`, `record.status`, `record.view`, `user.update`, ...
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub ward_id: Option<i64>,
    pub detail: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<Value>,
}
