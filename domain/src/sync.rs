//! The sync protocol. Push is idempotent and answers per record; pull pages through the
//! server's change sequence with an opaque cursor that the phone stores with the data.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::form::FormDef;
use crate::record::{RecordEnvelope, RecordStatus};
use crate::validate::FieldError;

/// Most records one push may carry.
pub const MAX_PUSH_BATCH: usize = 200;
/// Most field errors one push answer lists, over all its records (each record lists at most
/// [`crate::validate::MAX_ERRORS_PER_RECORD`]); the rest are counted in the records' messages.
pub const MAX_ERRORS_PER_PUSH: usize = 400;
/// Most changes one pull page returns.
pub const MAX_PULL_PAGE: u32 = 500;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub records: Vec<RecordEnvelope>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed record, in the order pushed.
    pub results: Vec<PushResult>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResult {
    pub id: Uuid,
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Newly stored and committed.
    Accepted,
    /// The server already had this id with the same content.
    Duplicate,
    /// The server has this id with different content; the new content was recorded, not applied.
    Conflict { message: String },
    /// Not stored; the phone keeps it for the user to correct.
    Rejected {
        message: String,
        errors: Vec<FieldError>,
    },
}

impl PushOutcome {
    /// Whether the phone may drop its outbox entry: the server holds the record.
    pub fn is_settled(&self) -> bool {
        matches!(self, PushOutcome::Accepted | PushOutcome::Duplicate)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    /// The cursor returned by the previous page; 0 for everything.
    #[serde(default)]
    pub cursor: i64,
    /// The `epoch` of the answer that gave the cursor. A cursor of another database (another
    /// epoch: a restored backup, a new server) is always answered with `reset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Save this with the page's data, in the same transaction, and send it next time.
    pub cursor: i64,
    /// More pages wait behind this one.
    pub more: bool,
    /// The server cannot answer from the given cursor: drop the pulled view and pull from 0.
    #[serde(default)]
    pub reset: bool,
    /// The identity of the database the cursor counts in; save it with the cursor. When it
    /// changes, what the phone holds as synced may be missing on the server: push it again.
    #[serde(default)]
    pub epoch: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A published form version.
    Form { form: FormDef },
    /// The current status of one of the caller's own records.
    Record(RecordState),
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    pub id: Uuid,
    pub form_key: String,
    pub form_version: u32,
    /// The residential group the record is about.
    pub group_id: i64,
    pub status: RecordStatus,
    /// Server time of the last change, milliseconds since the Unix epoch.
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
