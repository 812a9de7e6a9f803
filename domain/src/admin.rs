//! People and places as administrators manage them, sessions as their owners see them, and the
//! audit trail.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    pub district: String,
    pub city: String,
    pub groups: Vec<Place>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardInput {
    pub name: String,
    pub district: String,
    pub city: String,
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
